package io.github.recurrent4j.nn;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.recurrent4j.check.GradientCheck;
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
import org.junit.jupiter.params.provider.EnumSource;

/** The four attention scores: PyTorch parity, a hand-worked case, gradient checks, the masking rules and misuse. */
class AttentionTest {
  static final double ATOL = 2e-5;
  static final double RTOL = 1e-4;

  static Attention make(Attention.Score score, int dq, int dk, long seed) {
    boolean sameDim = score == Attention.Score.DOT || score == Attention.Score.SCALED_DOT;
    return new Attention(score, dq, sameDim ? dq : dk, score == Attention.Score.ADDITIVE ? 5 : 0, new Rng(seed));
  }

  @Test
  void dotAttentionMatchesAHandWorkedExample() {
    // q = (1, 0); keys (1, 0), (0, 1), (2, 2) with the third padded; values (1, 2), (3, 4), (9, 9).
    Tensor q = Tensor.of(new float[] {1, 0}, 1, 2);
    Tensor k = Tensor.of(new float[] {1, 0, 0, 1, 2, 2}, 1, 3, 2);
    Tensor v = Tensor.of(new float[] {1, 2, 3, 4, 9, 9}, 1, 3, 2);
    Attention.Attended a = Attention.dot(2, false).attend(q, k, v, new int[] {2});
    double a1 = Math.E / (Math.E + 1); // scores 1 and 0
    assertThat(a.weights().data()[0]).isCloseTo((float) a1, within(1e-6f));
    assertThat(a.weights().data()[1]).isCloseTo((float) (1 - a1), within(1e-6f));
    assertThat(a.weights().data()[2]).isZero();
    assertThat(a.context().shape()).containsExactly(1, 2);
    assertThat(a.context().data()[0]).isCloseTo((float) (a1 + 3 * (1 - a1)), within(1e-6f));
    assertThat(a.context().data()[1]).isCloseTo((float) (2 * a1 + 4 * (1 - a1)), within(1e-6f));
    // scaled by 1/sqrt(2): scores 0.7071 and 0
    double s1 = Math.exp(1 / Math.sqrt(2)) / (Math.exp(1 / Math.sqrt(2)) + 1);
    assertThat(Attention.dot(2, true).attend(q, k, v, new int[] {2}).weights().data()[0])
        .isCloseTo((float) s1, within(1e-6f));
  }

  @ParameterizedTest
  @EnumSource(Attention.Score.class)
  void matchesTheScoresWrittenOutInPyTorch(Attention.Score score) {
    String name = score.name().toLowerCase(java.util.Locale.ROOT);
    Map<String, Tensor> f = Fixtures.load("attention_scores.safetensors");
    Tensor q = Fixtures.get(f, name, "query");
    Tensor k = Fixtures.get(f, name, "keys");
    Attention attention = new Attention(score, q.dim(2), k.dim(2),
        score == Attention.Score.ADDITIVE ? Fixtures.get(f, name, "v").dim(0) : 0, new Rng(0));
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (Parameter p : attention.parameters()) {
      weights.put(p.name(), Fixtures.get(f, name, p.name()));
    }
    attention.loadStateDict(weights);
    Attention.Attended a = attention.attend(q, k, Fixtures.get(f, name, "values"),
        Fixtures.ids(f.get(name + ".key_lengths")));
    assertClose(name + " context", a.context(), Fixtures.get(f, name, "context"), ATOL, RTOL);
    assertClose(name + " weights", a.weights(), Fixtures.get(f, name, "weights"), ATOL, RTOL);
    Attention.Grads g = a.backward(Fixtures.get(f, name, "grad_context"), Fixtures.get(f, name, "grad_weights"));
    assertClose(name + " grad_query", g.query(), Fixtures.get(f, name, "grad_query"), ATOL, RTOL);
    assertClose(name + " grad_keys", g.keys(), Fixtures.get(f, name, "grad_keys"), ATOL, RTOL);
    assertClose(name + " grad_values", g.values(), Fixtures.get(f, name, "grad_values"), ATOL, RTOL);
    for (Parameter p : attention.parameters()) {
      assertClose(name + " grad_" + p.name(), p.grad(), Fixtures.get(f, name, "grad_" + p.name()), ATOL, RTOL);
    }
  }

  @ParameterizedTest
  @EnumSource(Attention.Score.class)
  void gradientsOfContextAndWeightsPassAFiniteDifferenceCheck(Attention.Score score) {
    Attention attention = make(score, 4, 3, 7);
    Rng rng = new Rng(8);
    int dk = score == Attention.Score.DOT || score == Attention.Score.SCALED_DOT ? 4 : 3;
    Parameter q = new Parameter("query", Init.normal(Tensor.zeros(2, 3, 4), 0, 1, rng));
    Parameter k = new Parameter("keys", Init.normal(Tensor.zeros(2, 5, dk), 0, 1, rng));
    Parameter v = new Parameter("values", Init.normal(Tensor.zeros(2, 5, 2), 0, 1, rng));
    int[] lengths = {5, 3};
    check(attention, q, k, v, lengths, false);
    check(attention, q, k, v, lengths, true);
    Parameter single = new Parameter("query", Init.normal(Tensor.zeros(2, 4), 0, 1, rng));
    check(attention, single, k, v, lengths, false);
  }

  /** Checks the gradient of the context, or (throughWeights) of the weights alone. */
  static void check(Attention attention, Parameter q, Parameter k, Parameter v, int[] lengths, boolean throughWeights) {
    List<Parameter> variables = new ArrayList<>(List.of(q, k, v));
    variables.addAll(attention.parameters());
    Attention.Attended[] last = new Attention.Attended[1];
    GradientCheck.check(GradientCheck.Function.of(variables, () -> {
      last[0] = attention.attend(q.value(), k.value(), v.value(), lengths);
      return throughWeights ? last[0].weights().copy() : last[0].context().copy();
    }, g -> {
      Attention.Grads grads = throughWeights
          ? last[0].backward(Tensor.zerosLike(last[0].context()), g) : last[0].backward(g);
      q.accumulateGrad(grads.query());
      k.accumulateGrad(grads.keys());
      v.accumulateGrad(grads.values());
    }), GradientCheck.Options.defaults()).requirePassed();
  }

  @ParameterizedTest
  @EnumSource(Attention.Score.class)
  void paddedKeysGetExactlyZeroWeightAndGradientWhateverTheyHold(Attention.Score score) {
    Attention attention = make(score, 3, 3, 1);
    Rng rng = new Rng(2);
    Tensor q = Init.normal(Tensor.zeros(2, 2, 3), 0, 1, rng);
    Tensor k = Init.normal(Tensor.zeros(2, 4, 3), 0, 1, rng);
    Tensor v = Init.normal(Tensor.zeros(2, 4, 3), 0, 1, rng);
    int[] lengths = {4, 2};
    Attention.Attended clean = attention.attend(q, k, v, lengths);
    Tensor cleanContext = clean.context().copy();
    for (int j = 2; j < 4; j++) {
      for (int d = 0; d < 3; d++) {
        k.set(1e6f, 1, j, d);
        v.set(-1e6f, 1, j, d);
      }
    }
    Attention.Attended a = attention.attend(q, k, v, lengths);
    assertThat(a.context().data()).as("padding changes nothing").containsExactly(cleanContext.data());
    Attention.Grads g = a.backward(Init.normal(Tensor.zeros(2, 2, 3), 0, 1, rng), Init.normal(Tensor.zeros(2, 2, 4), 0,
        1, rng));
    for (int i = 0; i < 2; i++) {
      for (int j = 2; j < 4; j++) {
        assertThat(a.weights().get(1, i, j)).isZero();
        for (int d = 0; d < 3; d++) {
          assertThat(g.keys().get(1, j, d)).as("dKeys at a padded key").isZero();
          assertThat(g.values().get(1, j, d)).as("dValues at a padded key").isZero();
        }
      }
    }
    for (Parameter p : attention.parameters()) {
      for (float x : p.grad().data()) {
        assertThat(x).isFinite();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Attention.Score.class)
  void hugeScoresGiveFiniteWeightsAndGradients(Attention.Score score) {
    Attention attention = make(score, 3, 3, 4);
    Tensor q = Init.normal(Tensor.zeros(1, 3), 0, 1000, new Rng(5));
    Tensor k = Init.normal(Tensor.zeros(1, 6, 3), 0, 1000, new Rng(6));
    Tensor v = Init.normal(Tensor.zeros(1, 6, 2), 0, 1, new Rng(7));
    Attention.Attended a = attention.attend(q, k, v, null);
    double sum = 0;
    for (float w : a.weights().data()) {
      assertThat(w).isFinite();
      sum += w;
    }
    assertThat(sum).isCloseTo(1.0, within(1e-5));
    Attention.Grads g = a.backward(Tensor.full(1f, 1, 2));
    for (Tensor t : new Tensor[] {g.query(), g.keys(), g.values()}) {
      for (float x : t.data()) {
        assertThat(x).isFinite();
      }
    }
  }

  @Test
  void misuseIsAClearError() {
    assertThatThrownBy(() -> Attention.dot(0, false)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("queryDim and keyDim must be positive, got 0 and 0");
    assertThatThrownBy(() -> new Attention(Attention.Score.DOT, 3, 4, 0, new Rng(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("the DOT score needs queryDim == keyDim, got 3 and 4");
    assertThatThrownBy(() -> new Attention(Attention.Score.ADDITIVE, 3, 4, 0, new Rng(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hidden must be positive for ADDITIVE and 0 otherwise, got 0 for ADDITIVE");
    Attention a = Attention.general(3, 2, new Rng(1));
    Tensor k = Tensor.zeros(2, 4, 2);
    assertThatThrownBy(() -> a.attend(Tensor.zeros(2, 4), k, k, null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected query [batch, 3] or [batch, time, 3], got [2, 4]");
    assertThatThrownBy(() -> a.attend(Tensor.zeros(2, 3), Tensor.zeros(2, 4, 3), k, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected keys [batch, time, 2], got [2, 4, 3]");
    assertThatThrownBy(() -> a.attend(Tensor.zeros(2, 3), k, Tensor.zeros(2, 5, 2), null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be [2, Tk, *] with the same Tk");
    assertThatThrownBy(() -> a.attend(Tensor.zeros(2, 3), k, k, new int[] {4, 0}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("row 1 has no keys (key length 0), so there is nothing to attend to");
    Tensor bad = Tensor.zeros(2, 3);
    bad.set(Float.NaN, 0, 1);
    assertThatThrownBy(() -> a.attend(bad, k, k, null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("score of query 0 and key 0 in row 0 is NaN");
    Attention.Attended ok = a.attend(Tensor.zeros(2, 3), k, k, null);
    assertThatThrownBy(() -> ok.backward(Tensor.zeros(2, 3))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected gradContext of shape [2, 2], got [2, 3]");
    assertThatThrownBy(() -> ok.backward(Tensor.zeros(2, 2), Tensor.zeros(2, 5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected gradWeights of shape [2, 4], got [2, 5]");
    ok.backward(Tensor.zeros(2, 2));
    assertThatThrownBy(() -> ok.backward(Tensor.zeros(2, 2))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("backward called twice for one attend");
  }
}
