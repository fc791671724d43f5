package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SequentialTest {
  /** A sequence layer with lengths as a GradientCheck function of its input and parameters. */
  static GradientCheck.Function withLengths(SequenceLayer layer, Tensor x, int[] lengths) {
    Parameter input = new Parameter("input", x);
    List<Parameter> variables = new ArrayList<>(List.of(input));
    variables.addAll(layer.parameters());
    return new GradientCheck.Function() {
      @Override
      public List<Parameter> variables() {
        return variables;
      }

      @Override
      public Tensor forward() {
        return layer.forward(x, lengths);
      }

      @Override
      public void backward(Tensor g) {
        RecurrentGradientTest.add(input.grad(), layer.backward(g));
      }
    };
  }

  @ParameterizedTest
  @EnumSource(SequencePooling.Mode.class)
  void poolingRespectsLengthsAndPassesGradientChecks(SequencePooling.Mode mode) {
    Rng rng = new Rng(40);
    SequencePooling pool = new SequencePooling(mode);
    Tensor x = Init.normal(Tensor.zeros(3, 5, 4), 0, 1, rng);
    int[] lengths = {5, 2, 0};
    Tensor y = pool.forward(x, lengths);
    assertThat(y.shape()).containsExactly(3, 4);
    for (int j = 0; j < 4; j++) {
      assertThat(y.get(2, j)).isZero();
      float expected = switch (mode) {
        case LAST -> x.get(1, 1, j);
        case MEAN -> (x.get(1, 0, j) + x.get(1, 1, j)) / 2;
        case MAX -> Math.max(x.get(1, 0, j), x.get(1, 1, j));
      };
      assertThat(y.get(1, j)).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6f));
    }
    GradientCheck.check(withLengths(pool, x, lengths), GradientCheck.Options.defaults()).requirePassed();
  }

  @Test
  void aBiLstmTaggerAndAClassifierPassGradientChecksWithLengths() {
    Rng rng = new Rng(41);
    int[] lengths = {4, 1, 3};
    Tensor x = Init.normal(Tensor.zeros(3, 4, 3), 0, 1, rng);
    Sequential tagger = new Sequential(new Bidirectional(new Lstm(3, 4, rng), Bidirectional.Merge.CONCAT, rng),
        new Linear(8, 5, true, rng));
    GradientCheck.check(withLengths(tagger, x, lengths), GradientCheck.Options.defaults()).requirePassed();
    Tensor tags = tagger.forward(x, lengths);
    for (int j = 0; j < 5; j++) {
      assertThat(tags.get(1, 1, j)).as("a Linear's bias does not leak into padded steps").isZero();
    }
    Sequential classifier = new Sequential(new Gru(3, 4, rng), SequencePooling.lastStep(), new Linear(4, 2, true, rng));
    assertThat(classifier.forward(x, lengths).shape()).containsExactly(3, 2);
    GradientCheck.check(withLengths(classifier, x, lengths), GradientCheck.Options.defaults()).requirePassed();
  }

  @Test
  void stateDictKeysCarryTheLayerIndexAndLoadingIsStrictAndAtomic() {
    Rng rng = new Rng(42);
    Sequential model = new Sequential(new Lstm(3, 4, rng), new Linear(4, 2, true, rng));
    Map<String, Tensor> state = model.stateDict();
    assertThat(state.keySet()).containsExactly("0.weight_ih_l0", "0.weight_hh_l0", "0.bias_ih_l0", "0.bias_hh_l0",
        "1.weight", "1.bias");
    Sequential copy = new Sequential(new Lstm(3, 4, new Rng(1)), new Linear(4, 2, true, new Rng(1)));
    copy.loadStateDict(state);
    assertThat(copy.stateDict()).isEqualTo(state);

    Map<String, Tensor> bad = new LinkedHashMap<>(state);
    bad.remove("1.bias");
    bad.put("1.weight", Tensor.zeros(4, 2));
    bad.put("2.weight", Tensor.zeros(1));
    bad.put("0.weight_ih_l0", Tensor.full(7f, 16, 3)); // valid, but must not be applied
    Map<String, Tensor> before = copy.stateDict();
    assertThatThrownBy(() -> copy.loadStateDict(bad))
        .isInstanceOf(StateDictException.class)
        .hasMessageContaining("missing keys [1.bias]")
        .hasMessageContaining("unexpected keys [2.weight]")
        .hasMessageContaining("wrong shapes [1.weight: expected [2, 4] but got [4, 2]]");
    assertThat(copy.stateDict()).isEqualTo(before);
  }

  @Test
  void misuseIsReported() {
    assertThatThrownBy(Sequential::new)
        .isInstanceOf(IllegalArgumentException.class).hasMessage("Sequential: needs at least one layer");
    Sequential s = new Sequential(new Linear(2, 2, true, new Rng(1)));
    assertThatThrownBy(() -> s.backward(Tensor.zeros(1, 2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Sequential[Linear(in=2, out=2)]: backward called before forward");
    SequencePooling pool = SequencePooling.max();
    assertThatThrownBy(() -> pool.forward(Tensor.zeros(2, 3, 4), new int[] {1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SequencePooling(max): expected 2 lengths (one per batch row), got 1");
    assertThatThrownBy(() -> pool.forward(Tensor.zeros(2, 3), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SequencePooling(max): expected input [batch, time, features], got [2, 3]");
    // lengths are checked once, up front, even when the first layer is not a sequence layer
    assertThatThrownBy(() -> s.forward(Tensor.zeros(2, 3, 2), new int[] {3, 4}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Sequential[Linear(in=2, out=2)]: lengths[1] = 4 is out of range [0, 3]");
  }
}
