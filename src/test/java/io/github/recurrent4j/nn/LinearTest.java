package io.github.recurrent4j.nn;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class LinearTest {
  static final double ATOL = 1e-5;
  static final double RTOL = 1e-5;

  @ParameterizedTest
  @ValueSource(strings = {"rank2", "rank3", "nobias", "wide"})
  void matchesPyTorchForwardAndEveryGradient(String name) {
    Map<String, Tensor> f = Fixtures.load("linear.safetensors");
    Tensor weight = Fixtures.get(f, name, "weight");
    boolean hasBias = f.containsKey(name + ".bias");
    Linear layer = new Linear(weight.dim(1), weight.dim(0), hasBias, new Rng(0));
    Map<String, Tensor> state = new HashMap<>();
    state.put("weight", weight);
    if (hasBias) {
      state.put("bias", Fixtures.get(f, name, "bias"));
    }
    layer.loadStateDict(state);

    Tensor y = layer.forward(Fixtures.get(f, name, "input").copy());
    assertClose(name + " output", y, Fixtures.get(f, name, "output"), ATOL, RTOL);
    Tensor dx = layer.backward(Fixtures.get(f, name, "grad_output"));
    assertClose(name + " grad_input", dx, Fixtures.get(f, name, "grad_input"), ATOL, RTOL);
    assertClose(name + " grad_weight", layer.weight().grad(), Fixtures.get(f, name, "grad_weight"), ATOL, RTOL);
    if (hasBias) {
      assertClose(name + " grad_bias", layer.bias().grad(), Fixtures.get(f, name, "grad_bias"), ATOL, RTOL);
    }
  }

  @Test
  void gradientCheckPassesWithAndWithoutBiasAtEveryRank() {
    Rng rng = new Rng(9);
    for (boolean bias : new boolean[] {true, false}) {
      for (int[] shape : new int[][] {{4, 5}, {2, 3, 5}, {5}}) {
        Linear layer = new Linear(5, 3, bias, rng);
        Tensor x = Init.normal(Tensor.zeros(shape), 0, 1, rng);
        GradientCheck.check(layer, x).requirePassed();
      }
    }
  }

  @Test
  void gradientsAccumulateAcrossBackwardCalls() {
    Rng rng = new Rng(2);
    Linear layer = new Linear(3, 2, true, rng);
    Tensor x = Init.normal(Tensor.zeros(4, 3), 0, 1, rng);
    Tensor dy = Init.normal(Tensor.zeros(4, 2), 0, 1, rng);
    layer.forward(x);
    layer.backward(dy);
    float[] once = layer.weight().grad().data().clone();
    layer.backward(dy);
    for (int i = 0; i < once.length; i++) {
      assertThat(layer.weight().grad().data()[i]).isEqualTo(2 * once[i]);
    }
    layer.zeroGrad();
    assertThat(layer.weight().grad().data()).containsOnly(0f);
  }

  @Test
  void defaultInitialisationFollowsPyTorchBounds() {
    Linear layer = new Linear(16, 300, true, new Rng(4));
    float bound = 1f / 4f;
    for (float v : layer.weight().value().data()) {
      assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
    }
    for (float v : layer.bias().value().data()) {
      assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
    }
    double max = 0;
    for (float v : layer.weight().value().data()) {
      max = Math.max(max, Math.abs(v));
    }
    assertThat(max).as("uses the whole range").isGreaterThan(0.24);
  }

  @Test
  void misuseIsReportedWithTheLayerAndTheShapes() {
    Linear layer = new Linear(3, 2, true, new Rng(1));
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(1, 2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Linear(in=3, out=2): backward called before forward");
    assertThatThrownBy(() -> layer.forward(Tensor.zeros(4, 5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Linear(in=3, out=2): expected input with last dimension 3, got shape [4, 5]");
    assertThatThrownBy(() -> layer.forward(Tensor.scalar(1f)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Linear(in=3, out=2): expected input with last dimension 3, got shape []");
    assertThatThrownBy(() -> layer.forward(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Linear(in=3, out=2): input is null");
    layer.forward(Tensor.zeros(4, 3));
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(4, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Linear(in=3, out=2): expected gradOutput of shape [4, 2], got [4, 3]");
    assertThatThrownBy(() -> new Linear(0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Linear: inFeatures and outFeatures must be positive, got inFeatures=0, outFeatures=2");
  }

  @Test
  void loadingIsStrictListsEveryProblemAndChangesNothingOnFailure() {
    Linear layer = new Linear(3, 2, true, new Rng(1));
    Map<String, Tensor> before = layer.stateDict();
    Map<String, Tensor> bad = new LinkedHashMap<>();
    bad.put("weight", Tensor.zeros(3, 2));
    bad.put("extra", Tensor.zeros(1));
    assertThatThrownBy(() -> layer.loadStateDict(bad))
        .isInstanceOf(StateDictException.class)
        .hasMessage("Linear(in=3, out=2): cannot load state dict: missing keys [bias]; unexpected keys [extra];"
            + " wrong shapes [weight: expected [2, 3] but got [3, 2]]")
        .satisfies(e -> {
          StateDictException s = (StateDictException) e;
          assertThat(s.missing()).containsExactly("bias");
          assertThat(s.unexpected()).containsExactly("extra");
          assertThat(s.mismatched()).containsExactly("weight: expected [2, 3] but got [3, 2]");
        });
    Map<String, Tensor> partlyGood = new LinkedHashMap<>();
    partlyGood.put("weight", Tensor.full(9f, 2, 3));
    partlyGood.put("bias", Tensor.zeros(3));
    assertThatThrownBy(() -> layer.loadStateDict(partlyGood)).isInstanceOf(StateDictException.class)
        .hasMessage("Linear(in=3, out=2): cannot load state dict: wrong shapes [bias: expected [2] but got [3]]");
    assertThat(layer.stateDict()).isEqualTo(before);
  }

  @Test
  void stateDictIsASnapshotWithPyTorchNames() {
    Linear layer = new Linear(3, 2, true, new Rng(1));
    Map<String, Tensor> state = layer.stateDict();
    assertThat(state.keySet()).containsExactly("weight", "bias");
    assertThat(state.get("weight").shape()).containsExactly(2, 3);
    layer.weight().value().fill(5f);
    assertThat(state.get("weight").data()).doesNotContain(5f);
  }

  @org.junit.jupiter.api.Test
  void inferGivesTheForwardNumbersAndLeavesTheBackwardCacheAlone() {
    Linear layer = new Linear(3, 2, true, new Rng(1));
    Tensor x = Init.normal(Tensor.zeros(2, 3), 0, 1, new Rng(2));
    Tensor other = Init.normal(Tensor.zeros(5, 3), 0, 1, new Rng(3));
    Tensor y = layer.forward(x);
    assertThat(layer.infer(x).data()).containsExactly(y.data());
    layer.infer(other); // between forward and backward, as a decoder's beam search does
    Tensor dx = layer.backward(Tensor.full(1f, 2, 2));
    assertThat(dx.shape()).containsExactly(2, 3);
    // dW = dyᵀ x for the forward's x: column sums of x, by hand
    assertThat(layer.weight().grad().get(0, 0)).isEqualTo(x.get(0, 0) + x.get(1, 0));
    Embedding embedding = new Embedding(6, 4, new Rng(4));
    Tensor e = embedding.forward(new int[] {1, 5}, 2);
    embedding.infer(new int[] {0, 0, 0}, 3);
    embedding.backward(Tensor.full(1f, 2, 4));
    assertThat(embedding.infer(new int[] {1, 5}, 2).data()).containsExactly(e.data());
    assertThat(embedding.weight().grad().get(5, 0)).isEqualTo(1f);
    assertThat(embedding.weight().grad().get(0, 0)).isZero();
  }
}
