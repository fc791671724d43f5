package io.github.recurrent4j.nn;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.kernel.Parallel;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** nn.MultiheadAttention(batch_first=True) from tools/make_fixtures.py, gradient checks and misuse. */
class MultiHeadAttentionTest {
  static final double ATOL = 2e-5;
  static final double RTOL = 1e-4;
  static final String[] PARAMS = {"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"};

  @ParameterizedTest
  @ValueSource(strings = {"self_1head", "self_2heads_padding", "self_4heads_causal", "cross_2heads"})
  void matchesPyTorch(String name) {
    Map<String, Tensor> f = Fixtures.load("attention.safetensors");
    Tensor inProj = Fixtures.get(f, name, "in_proj_weight");
    int e = inProj.dim(1);
    int heads = Fixtures.get(f, name, "weights").dim(1);
    MultiHeadAttention mha = new MultiHeadAttention(e, heads, new Rng(0));
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (String p : PARAMS) {
      weights.put(p, Fixtures.get(f, name, p));
    }
    mha.loadStateDict(weights);
    boolean self = name.startsWith("self");
    Tensor q = Fixtures.get(f, name, "query");
    Tensor k = self ? q : Fixtures.get(f, name, "key");
    Tensor v = self ? q : Fixtures.get(f, name, "value");
    Tensor y = mha.forward(q, k, v, Fixtures.ids(f.get(name + ".query_lengths")),
        Fixtures.ids(f.get(name + ".key_lengths")), name.contains("causal"));
    assertClose(name + " output", y, Fixtures.get(f, name, "output"), ATOL, RTOL);
    assertClose(name + " weights", mha.attentionWeights(false), Fixtures.get(f, name, "weights"), ATOL, RTOL);
    Tensor dy = Fixtures.get(f, name, "grad_output");
    if (self) {
      assertClose(name + " grad_query", mha.backward(dy), Fixtures.get(f, name, "grad_query"), ATOL, RTOL);
    } else {
      Tensor[] grads = mha.backwardAll(dy);
      assertClose(name + " grad_query", grads[0], Fixtures.get(f, name, "grad_query"), ATOL, RTOL);
      assertClose(name + " grad_key", grads[1], Fixtures.get(f, name, "grad_key"), ATOL, RTOL);
      assertClose(name + " grad_value", grads[2], Fixtures.get(f, name, "grad_value"), ATOL, RTOL);
    }
    for (Parameter p : mha.parameters()) {
      assertClose(name + " grad_" + p.name(), p.grad(), Fixtures.get(f, name, "grad_" + p.name()), ATOL, RTOL);
    }
  }

  @Test
  void averagedWeightsAreTheMeanOverHeadsAndRowsSumToOneOverValidKeys() {
    MultiHeadAttention mha = new MultiHeadAttention(8, 4, new Rng(3));
    Tensor x = Init.normal(Tensor.zeros(2, 5, 8), 0, 1, new Rng(4));
    mha.forward(x, x, x, new int[] {5, 3}, new int[] {5, 3}, true);
    Tensor avg = mha.attentionWeights(true);
    assertThat(avg.shape()).containsExactly(2, 5, 5);
    float[] w = avg.data();
    for (int b = 0; b < 2; b++) {
      int length = b == 0 ? 5 : 3;
      for (int i = 0; i < 5; i++) {
        double sum = 0;
        for (int j = 0; j < 5; j++) {
          float value = w[(b * 5 + i) * 5 + j];
          if (j > i || j >= length || i >= length) {
            assertThat(value).as("masked (%d, %d, %d)", b, i, j).isZero();
          }
          sum += value;
        }
        assertThat(sum).as("row (%d, %d)", b, i).isCloseTo(i < length ? 1.0 : 0.0, org.assertj.core.data.Offset.offset(1e-5));
      }
    }
  }

  @Test
  void selfAttentionGradientsPassAFiniteDifferenceCheck() {
    MultiHeadAttention mha = new MultiHeadAttention(6, 2, new Rng(11));
    Tensor x = Init.normal(Tensor.zeros(2, 4, 6), 0, 1, new Rng(12));
    GradientCheck.check(mha, x, GradientCheck.Options.defaults()).requirePassed();
  }

  @Test
  void maskedSelfAttentionGradientsPassAFiniteDifferenceCheck() {
    MultiHeadAttention mha = new MultiHeadAttention(6, 3, new Rng(13));
    Parameter x = new Parameter("x", Init.normal(Tensor.zeros(2, 5, 6), 0, 1, new Rng(14)));
    List<Parameter> variables = new ArrayList<>(List.of(x));
    variables.addAll(mha.parameters());
    int[] lengths = {5, 3};
    GradientCheck.check(GradientCheck.Function.of(variables,
        () -> mha.forward(x.value(), x.value(), x.value(), lengths, lengths, true),
        g -> x.accumulateGrad(mha.backward(g))), GradientCheck.Options.defaults()).requirePassed();
  }

  @Test
  void maskedKeysGetExactlyZeroGradientWhateverTheyHold() {
    MultiHeadAttention mha = new MultiHeadAttention(4, 2, new Rng(31));
    Rng rng = new Rng(32);
    Tensor q = Init.normal(Tensor.zeros(2, 3, 4), 0, 1, rng);
    Tensor k = Init.normal(Tensor.zeros(2, 5, 4), 0, 1, rng);
    Tensor v = Init.normal(Tensor.zeros(2, 5, 4), 0, 1, rng);
    for (int j = 2; j < 5; j++) {
      for (int d = 0; d < 4; d++) {
        k.set(1e4f, 1, j, d);
        v.set(-1e4f, 1, j, d);
      }
    }
    mha.forward(q, k, v, null, new int[] {5, 2}, false);
    Tensor[] grads = mha.backwardAll(Init.normal(Tensor.zeros(2, 3, 4), 0, 1, rng));
    for (int j = 2; j < 5; j++) {
      for (int d = 0; d < 4; d++) {
        assertThat(grads[1].get(1, j, d)).as("dKey at a masked key").isZero();
        assertThat(grads[2].get(1, j, d)).as("dValue at a masked key").isZero();
      }
    }
    for (Parameter p : mha.parameters()) {
      for (float g : p.grad().data()) {
        assertThat(g).isFinite();
      }
    }
  }

  @Test
  void crossAttentionGradientsWithMasksPassAFiniteDifferenceCheck() {
    MultiHeadAttention mha = new MultiHeadAttention(4, 2, new Rng(21));
    Rng rng = new Rng(22);
    Parameter q = new Parameter("query", Init.normal(Tensor.zeros(2, 3, 4), 0, 1, rng));
    Parameter k = new Parameter("key", Init.normal(Tensor.zeros(2, 5, 4), 0, 1, rng));
    Parameter v = new Parameter("value", Init.normal(Tensor.zeros(2, 5, 4), 0, 1, rng));
    List<Parameter> variables = new ArrayList<>(List.of(q, k, v));
    variables.addAll(mha.parameters());
    GradientCheck.check(GradientCheck.Function.of(variables,
        () -> mha.forward(q.value(), k.value(), v.value(), new int[] {3, 2}, new int[] {5, 2}, false),
        g -> {
          Tensor[] grads = mha.backwardAll(g);
          q.accumulateGrad(grads[0]);
          k.accumulateGrad(grads[1]);
          v.accumulateGrad(grads[2]);
        }), GradientCheck.Options.defaults()).requirePassed();
  }

  @Test
  void misuseIsAClearError() {
    assertThatThrownBy(() -> new MultiHeadAttention(6, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("embedDim must be a positive multiple of numHeads, got embedDim=6, numHeads=4");
    MultiHeadAttention mha = new MultiHeadAttention(4, 2, new Rng(1));
    assertThatThrownBy(() -> mha.backward(Tensor.zeros(1, 2, 4)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("backward called before forward");
    assertThatThrownBy(() -> mha.attentionWeights(true))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("attentionWeights() called before forward");
    assertThatThrownBy(() -> mha.forward(Tensor.zeros(1, 2, 5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected query [batch, time, 4], got [1, 2, 5]");
    Tensor q = Tensor.zeros(2, 3, 4);
    assertThatThrownBy(() -> mha.forward(q, Tensor.zeros(2, 5, 4), Tensor.zeros(2, 4, 4), null, null, false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be [2, Tk, 4] with the same Tk");
    assertThatThrownBy(() -> mha.forward(q, q, q, null, new int[] {3, 0}, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("query 0 of row 1 has every key masked (key length 0)");
    Tensor kv = Init.normal(Tensor.zeros(2, 5, 4), 0, 1, new Rng(2));
    mha.forward(q, kv, kv, null, null, false);
    Tensor good = mha.attentionWeights(false);
    assertThatThrownBy(() -> mha.forward(q, q, q, null, new int[] {0, 3}, false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query 0 of row 0 has every key masked");
    assertThat(mha.attentionWeights(false).data()).as("a rejected forward keeps the last good one")
        .containsExactly(good.data());
    assertThatThrownBy(() -> mha.backward(Tensor.zeros(2, 3, 4)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("the last forward was cross-attention; use backwardAll");
    assertThatThrownBy(() -> mha.backwardAll(Tensor.zeros(2, 4, 4)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected gradOutput of shape [2, 3, 4], got [2, 4, 4]");
  }

  /** Forward and backward of one call on a fresh copy of {@code mha}: output, input gradients, parameter gradients. */
  private static List<float[]> oneCall(MultiHeadAttention mha, Tensor q, Tensor k, Tensor v, int[] ql, int[] kl,
      boolean causal, Tensor dy) {
    List<float[]> result = new ArrayList<>();
    mha.zeroGrad();
    result.add(mha.forward(q, k, v, ql, kl, causal).data().clone());
    result.add(mha.attentionWeights(false).data());
    if (q == k && k == v) {
      result.add(mha.backward(dy).data());
    } else {
      for (Tensor g : mha.backwardAll(dy)) {
        result.add(g.data());
      }
    }
    for (Parameter p : mha.parameters()) {
      result.add(p.grad().data().clone());
    }
    return result;
  }

  @Test
  void reusedBuffersGiveTheBitsOfAFreshLayerAcrossShapesAndModes() {
    Rng rng = new Rng(41);
    MultiHeadAttention reused = new MultiHeadAttention(8, 2, new Rng(40));
    Tensor x5 = Init.normal(Tensor.zeros(3, 5, 8), 0, 1, rng);
    Tensor q2 = Init.normal(Tensor.zeros(3, 2, 8), 0, 1, rng);
    Tensor k6 = Init.normal(Tensor.zeros(3, 6, 8), 0, 1, rng);
    Tensor v6 = Init.normal(Tensor.zeros(3, 6, 8), 0, 1, rng);
    Tensor x2 = Init.normal(Tensor.zeros(3, 2, 8), 0, 1, rng);
    // self, cross with Tk = 3 Tq (the size of a self-attention buffer), self again, padded self, cross again
    Object[][] calls = {
        {x5, x5, x5, null, null, false}, {q2, k6, v6, null, new int[] {6, 1, 4}, false},
        {x5, x5, x5, null, null, true}, {x2, x2, x2, new int[] {2, 1, 0}, new int[] {2, 1, 0}, false},
        {q2, k6, v6, new int[] {1, 2, 2}, null, false}, {x5, x5, x5, new int[] {5, 3, 1}, null, false}};
    for (Object[] c : calls) {
      Tensor q = (Tensor) c[0];
      Tensor dy = Init.normal(Tensor.zeros(q.shape()), 0, 1, rng);
      MultiHeadAttention fresh = new MultiHeadAttention(8, 2, new Rng(0));
      fresh.loadStateDict(reused.stateDict());
      List<float[]> expected = oneCall(fresh, q, (Tensor) c[1], (Tensor) c[2], (int[]) c[3], (int[]) c[4],
          (Boolean) c[5], dy);
      List<float[]> got = oneCall(reused, q, (Tensor) c[1], (Tensor) c[2], (int[]) c[3], (int[]) c[4],
          (Boolean) c[5], dy);
      for (int i = 0; i < expected.size(); i++) {
        assertThat(got.get(i)).as("call with query %s, result %d", q.shapeString(), i).containsExactly(expected.get(i));
      }
    }
  }

  @Test
  void oneAndTwoThreadsGiveTheSameBits() {
    Rng rng = new Rng(51);
    Tensor x = Init.normal(Tensor.zeros(5, 7, 8), 0, 1, rng);
    Tensor dy = Init.normal(Tensor.zeros(5, 7, 8), 0, 1, rng);
    int[] lengths = {7, 3, 5, 1, 6};
    List<List<float[]>> runs = new ArrayList<>();
    int before = Parallel.threads();
    try {
      for (int threads : new int[] {1, 2}) {
        Parallel.setThreads(threads);
        runs.add(oneCall(new MultiHeadAttention(8, 4, new Rng(50)), x, x, x, lengths, lengths, true, dy));
      }
    } finally {
      Parallel.setThreads(before);
    }
    for (int i = 0; i < runs.get(0).size(); i++) {
      assertThat(runs.get(1).get(i)).as("result %d", i).containsExactly(runs.get(0).get(i));
    }
  }

  @Test
  void outVariantsOverwriteTheGivenTensorsWithTheBitsOfTheFreshOnes() {
    Rng rng = new Rng(61);
    Tensor x = Init.normal(Tensor.zeros(3, 5, 8), 0, 1, rng);
    Tensor dy = Init.normal(Tensor.zeros(3, 5, 8), 0, 1, rng);
    MultiHeadAttention fresh = new MultiHeadAttention(8, 2, new Rng(60));
    Tensor y = fresh.forward(x);
    Tensor dx = fresh.backward(dy);
    MultiHeadAttention reused = new MultiHeadAttention(8, 2, new Rng(60));
    Tensor out = Tensor.zeros(3, 5, 8);
    Tensor dxOut = Tensor.zeros(3, 5, 8);
    for (int step = 0; step < 2; step++) { // the second step finds the first one's numbers in the tensors
      java.util.Arrays.fill(out.data(), step == 0 ? Float.NaN : 7f);
      java.util.Arrays.fill(dxOut.data(), step == 0 ? Float.NaN : 7f);
      reused.zeroGrad();
      assertThat(reused.forward(x, out)).isSameAs(out);
      assertThat(reused.backward(dy, dxOut)).isSameAs(dxOut);
      assertThat(out.data()).containsExactly(y.data());
      assertThat(dxOut.data()).containsExactly(dx.data());
      for (int p = 0; p < PARAMS.length; p++) {
        assertThat(reused.parameters().get(p).grad().data()).as(PARAMS[p])
            .containsExactly(fresh.parameters().get(p).grad().data());
      }
    }
  }

  @Test
  void outVariantsRejectWrongOrSharedTensors() {
    MultiHeadAttention mha = new MultiHeadAttention(8, 2, new Rng(1));
    Tensor x = Tensor.zeros(2, 3, 8);
    assertThatThrownBy(() -> mha.forward(x, Tensor.zeros(2, 4, 8))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected out of shape [2, 3, 8], got [2, 4, 8]");
    assertThatThrownBy(() -> mha.forward(x, x)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("out must not share its array with the input x");
    assertThatThrownBy(() -> mha.forward(x, null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("out is null");
    assertThatThrownBy(() -> mha.backward(Tensor.zeros(2, 3, 8), Tensor.zeros(2, 3, 8)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("backward called before forward");
    mha.forward(x, Tensor.zeros(2, 3, 8));
    Tensor dy = Tensor.zeros(2, 3, 8);
    assertThatThrownBy(() -> mha.backward(dy, Tensor.zeros(3, 3, 8))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected dxOut of shape [2, 3, 8], got [3, 3, 8]");
    assertThatThrownBy(() -> mha.backward(dy, dy)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dxOut must not share its array with the input x or with dy");
    assertThatThrownBy(() -> mha.backward(dy, x)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dxOut must not share its array with the input x or with dy");
    assertThatThrownBy(() -> mha.backward(dy, null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dxOut is null");
    assertThat(mha.backward(dy, Tensor.zeros(2, 3, 8)).shape()).containsExactly(2, 3, 8); // the misuse changed nothing
  }
}
