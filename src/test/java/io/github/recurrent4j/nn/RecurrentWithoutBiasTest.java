package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link RecurrentLayer#withoutBias()}: PyTorch's {@code bias=False}, and what stacks and twins inherit. */
class RecurrentWithoutBiasTest {
  @ParameterizedTest
  @CsvSource({"lstm_nobias_2layers_bidir, 2, true", "gru_nobias, 1, false", "rnn_relu_nobias_2layers, 2, false"})
  void matchesPyTorchsBiasFalseWithItsStateDictKeys(String name, int layers, boolean bidirectional) {
    Map<String, Tensor> f = Fixtures.load("recurrent.safetensors");
    assertThat(f.keySet()).as("PyTorch saves no biases").noneMatch(k -> k.startsWith(name + ".bias"));
    RecurrentLayer first = RecurrentParityTest.layerFor(name, Fixtures.get(f, name, "weight_ih_l0")).withoutBias();
    StackedRnn stack = StackedRnnTest.load(f, name, new StackedRnn(first, layers, bidirectional, 0f, new Rng(1)));
    assertThat(stack.stateDict().keySet()).hasSize(2 * layers * (bidirectional ? 2 : 1))
        .allMatch(k -> k.startsWith("weight_"));
    RecurrentParityTest.assertMatchesFixture(f, name, stack, name.startsWith("lstm"));
  }

  @Test
  void biasesStayZeroThroughTrainingAndReinitialisationAndUnitForgetBias() {
    Rng rng = new Rng(4);
    Lstm lstm = new Lstm(3, 4, Lstm.Options.defaults().withUnitForgetBias(true), rng);
    assertThat(lstm.withoutBias()).isSameAs(lstm);
    assertThat(lstm.hasBias()).isFalse();
    assertThat(lstm.parameters()).extracting(Parameter::name).containsExactly("weight_ih_l0", "weight_hh_l0");
    assertThat(lstm.toString()).contains("bias=false");
    Adam adam = new Adam(lstm.parameters(), Adam.Options.defaults().withLr(0.1));
    Tensor x = Init.normal(Tensor.zeros(2, 5, 3), 0, 1, rng);
    for (int step = 0; step < 3; step++) {
      adam.zeroGrad();
      Tensor y = lstm.forward(x, null, null);
      lstm.backward(y.copy(), null);
      adam.step();
    }
    lstm.initialize(RecurrentLayer.Initializer.PYTORCH, rng);
    assertThat(lstm.biasIh().value().data()).containsOnly(0f);
    assertThat(lstm.biasHh().value().data()).containsOnly(0f);
    assertThat(lstm.biasIh().grad().data()).as("no gradient is gathered").containsOnly(0f);
    assertThat(lstm.biasHh().grad().data()).containsOnly(0f);
  }

  @Test
  void gradientsWithoutBiasPassFiniteDifferenceChecks() {
    RecurrentGradientTest.check(rng -> new Gru(3, 4, rng).withoutBias(), false);
    RecurrentGradientTest.check(rng -> new Lstm(3, 4, Lstm.Options.defaults().withPeepholes(true), rng).withoutBias(),
        true);
    RecurrentGradientTest.check(rng -> new SimpleRnn(3, 4, SimpleRnn.Nonlinearity.TANH, rng).withoutBias(), false);
  }

  @Test
  void stackLevelsAndTheReverseTwinInheritNoBiasAndRecurrentDropout() {
    Rng rng = new Rng(6);
    RecurrentLayer first = new Lstm(3, 4, rng).withoutBias().withRecurrentDropout(0.25, new Rng(7));
    StackedRnn stack = new StackedRnn(first, 2, true, 0f, rng);
    for (StatefulSequenceLayer level : stack.levels()) {
      Bidirectional bi = (Bidirectional) level;
      for (StatefulSequenceLayer direction : new StatefulSequenceLayer[] {bi.forwardLayer(), bi.backwardLayer()}) {
        RecurrentLayer layer = (RecurrentLayer) direction;
        assertThat(layer.hasBias()).as(layer.toString()).isFalse();
        assertThat(layer.recurrentDropout()).as(layer.toString()).isEqualTo(0.25);
      }
    }
    Tensor x = Init.normal(Tensor.zeros(2, 4, 3), 0, 1, rng);
    GradientCheck.check(SequentialTest.withLengths(new StackedRnn(new Gru(3, 2, rng).withoutBias(), 2, true, 0f, rng),
        x, new int[] {4, 2}), GradientCheck.Options.defaults()).requirePassed();
  }

  @Test
  void loadingBiasesIntoALayerWithoutThemNamesTheUnexpectedKeys() {
    Lstm withBias = new Lstm(3, 4, new Rng(1));
    Lstm without = (Lstm) new Lstm(3, 4, new Rng(2)).withoutBias();
    assertThatThrownBy(() -> without.loadStateDict(withBias.stateDict()))
        .isInstanceOf(StateDictException.class)
        .hasMessageContaining("unexpected keys [bias_ih_l0, bias_hh_l0]");
    assertThatThrownBy(() -> withBias.loadStateDict(without.stateDict()))
        .isInstanceOf(StateDictException.class)
        .hasMessageContaining("missing keys [bias_ih_l0, bias_hh_l0]");
  }
}
