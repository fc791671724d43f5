package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StackedRnnTest {
  static StackedRnn load(Map<String, Tensor> f, String name, StackedRnn stack) {
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (Parameter p : stack.parameters()) {
      weights.put(p.name(), Fixtures.get(f, name, p.name()));
    }
    stack.loadStateDict(weights);
    return stack;
  }

  @Test
  void twoLayerLstmMatchesPyTorchWithPackedUnsortedLengths() {
    Map<String, Tensor> f = Fixtures.load("recurrent.safetensors");
    StackedRnn stack = load(f, "lstm_2layers", new StackedRnn(new Lstm(3, 5, new Rng(0)), 2, false, 0f, new Rng(1)));
    assertThat(stack.stateDict().keySet()).contains("weight_ih_l1", "bias_hh_l1");
    RecurrentParityTest.assertMatchesFixture(f, "lstm_2layers", stack, true);
  }

  @Test
  void twoLayerBidirectionalGruMatchesPyTorchWithPackedUnsortedLengths() {
    Map<String, Tensor> f = Fixtures.load("recurrent.safetensors");
    StackedRnn stack = load(f, "gru_2layers_bidir",
        new StackedRnn(new Gru(3, 4, new Rng(0)), 2, true, 0f, new Rng(1)));
    assertThat(stack.stateDict().keySet()).contains("weight_ih_l1_reverse");
    assertThat(stack.stateDict().get("weight_ih_l1").shape()).containsExactly(12, 8);
    RecurrentParityTest.assertMatchesFixture(f, "gru_2layers_bidir", stack, false);
  }

  @Test
  void dropoutBetweenLevelsIsSeededAppliedInTrainingOnlyAndBackpropagated() {
    Rng rng = new Rng(5);
    Tensor x = Init.normal(Tensor.zeros(2, 5, 3), 0, 1, rng);
    int[] lengths = {5, 3};
    StackedRnn stack = new StackedRnn(new Lstm(3, 4, new Rng(7)), 3, false, 0.5f, new Rng(9));
    StackedRnn twin = new StackedRnn(new Lstm(3, 4, new Rng(7)), 3, false, 0.5f, new Rng(9));
    Tensor trained = stack.forward(x, lengths, null);
    assertThat(twin.forward(x, lengths, null).data()).as("same seeds, same masks").containsExactly(trained.data());
    assertThat(stack.infer(x, lengths, null).output().data()).as("no dropout in inference")
        .isNotEqualTo(trained.data());
    // Gradients through the masks, with the masks held fixed by re-seeding before every forward.
    Parameter input = new Parameter("input", x);
    java.util.List<Parameter> variables = new java.util.ArrayList<>(java.util.List.of(input));
    variables.addAll(stack.parameters());
    GradientCheck.check(new GradientCheck.Function() {
      @Override
      public java.util.List<Parameter> variables() {
        return variables;
      }

      @Override
      public Tensor forward() {
        return stackWithFixedMasks(stack, x, lengths);
      }

      @Override
      public void backward(Tensor g) {
        RecurrentGradientTest.add(input.grad(), stack.backward(g, null));
      }
    }, GradientCheck.Options.defaults()).requirePassed();
  }

  /** A training forward whose dropout masks are the same every call. */
  static Tensor stackWithFixedMasks(StackedRnn stack, Tensor x, int[] lengths) {
    stack.reseedDropout(77);
    return stack.forward(x, lengths, null);
  }

  @Test
  void gradientChecksWithInitialStatesAndZeroLengths() {
    Rng rng = new Rng(6);
    StackedRnn stack = new StackedRnn(new Gru(3, 4, rng), 2, true, 0f, rng);
    Tensor x = Init.normal(Tensor.zeros(3, 4, 3), 0, 1, rng);
    GradientCheck.check(SequentialTest.withLengths(stack, x, new int[] {4, 0, 2}), GradientCheck.Options.defaults())
        .requirePassed();
  }

  @Test
  void aStackStreamsStepByStepLikeItsWholeSequenceInference() {
    Rng rng = new Rng(14);
    StackedRnn stack = new StackedRnn(new Lstm(3, 5, rng), 2, false, 0.3f, rng);
    Tensor x = Init.normal(Tensor.zeros(1, 6, 3), 0, 1, rng);
    RecurrentLayer.Result whole = stack.infer(x, null, null);
    StackedRnn.Stream stream = stack.newStream();
    for (int t = 0; t < 6; t++) {
      float[] h = stream.step(java.util.Arrays.copyOfRange(x.data(), 3 * t, 3 * t + 3));
      io.github.recurrent4j.testing.Assertions2.assertClose("step " + t, h,
          java.util.Arrays.copyOfRange(whole.output().data(), 5 * t, 5 * t + 5), 1e-6, 1e-5);
    }
    io.github.recurrent4j.testing.Assertions2.assertClose("state", stream.state().c(), whole.finalState().c(), 1e-6,
        1e-5);
    assertThatThrownBy(() -> new StackedRnn(new Gru(3, 4, rng), 2, true, 0f, rng).newStream())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("a bidirectional stack cannot stream");
  }

  @Test
  void misuseIsReported() {
    Rng rng = new Rng(1);
    assertThatThrownBy(() -> new StackedRnn(new Lstm(3, 4, rng), 0, false, 0f, rng))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("StackedRnn: numLayers must be >= 1, got 0");
    assertThatThrownBy(() -> new StackedRnn(new Lstm(3, 4, rng), 2, false, 1f, rng))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("StackedRnn: dropout must be in [0, 1), got 1.0");
    StackedRnn stack = new StackedRnn(new Lstm(3, 4, rng), 2, false, 0f, rng);
    assertThatThrownBy(() -> stack.forward(Tensor.zeros(2, 5, 3), null, RnnState.of(Tensor.zeros(1, 2, 4))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("StackedRnn(Lstm(input=3, hidden=4), layers=2): expected initial state h of shape [2, 2, hidden],"
            + " got [1, 2, 4]");
    assertThatThrownBy(() -> stack.backward(Tensor.zeros(2, 5, 4), null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("StackedRnn(Lstm(input=3, hidden=4), layers=2): backward called before forward");
  }
}
