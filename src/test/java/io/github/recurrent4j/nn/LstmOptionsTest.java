package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LstmOptionsTest {
  /**
   * The article's worked example: one memory cell, identity activations, hand-set weights. The
   * cell input is x1; the input gate opens when x2 = 1, the forget gate closes when x2 = -1 and
   * the output gate opens when x3 = 1 (weights of 100 and biases of ±10 make the sigmoids all but
   * 0 or 1).
   */
  @Test
  void theArticlesWorkedExampleRemembersAndRevealsAsDescribed() {
    Lstm lstm = new Lstm(3, 1, Lstm.Options.defaults().withActivation(Lstm.Activation.IDENTITY), new Rng(0));
    // rows: i, f, g, o; columns: x1, x2, x3
    Tensor weightIh = Tensor.of(new float[] {
        0, 100, 0, // i: opens when x2 = 1
        0, 100, 0, // f: stays open unless x2 = -1
        1, 0, 0, // g: the cell input is x1
        0, 0, 100}, 4, 3); // o: opens when x3 = 1
    Tensor biasIh = Tensor.of(new float[] {-10, 10, 0, -10}, 4);
    lstm.loadStateDict(Map.of("weight_ih_l0", weightIh, "weight_hh_l0", Tensor.zeros(4, 1), "bias_ih_l0", biasIh,
        "bias_hh_l0", Tensor.zeros(4)));
    float[][] inputs = {{3, 1, 0}, {4, 1, 0}, {2, 0, 0}, {1, 0, 1}, {3, -1, 0}};
    float[] memory = {3, 7, 7, 7, 0};
    float[] outputs = {0, 0, 0, 7, 0};
    RecurrentStream stream = lstm.newStream();
    for (int t = 0; t < inputs.length; t++) {
      float h = stream.step(inputs[t])[0];
      float c = stream.state().c().data()[0];
      assertThat(c).as("memory after input %d", t + 1).isCloseTo(memory[t], offset(1e-2f));
      assertThat(h).as("output after input %d", t + 1).isCloseTo(outputs[t], offset(1e-2f));
    }
  }

  @Test
  void unitForgetBiasStartsTheForgetGateOpen() {
    Lstm lstm = new Lstm(3, 4, Lstm.Options.defaults().withUnitForgetBias(true), new Rng(1));
    float[] bi = lstm.biasIh().value().data();
    float[] bh = lstm.biasHh().value().data();
    for (int j = 0; j < 4; j++) {
      assertThat(bi[4 + j] + bh[4 + j]).isEqualTo(1f);
      assertThat(bi[j]).isNotEqualTo(1f); // the other gates keep their random init
    }
  }

  @Test
  void identityActivationPassesGradientChecks() {
    RecurrentGradientTest.check(rng -> new Lstm(3, 5,
        Lstm.Options.defaults().withActivation(Lstm.Activation.IDENTITY), rng), true);
  }

  @Test
  void optionsAreValidated() {
    assertThatThrownBy(() -> new Lstm.Options(null, false, false, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Lstm.Options: activation must not be null");
  }

  @Test
  void peepholesPassGradientChecksWithLengthsAndInitialStates() {
    RecurrentGradientTest.check(rng -> new Lstm(3, 5, Lstm.Options.defaults().withPeepholes(true), rng), true);
    RecurrentGradientTest.check(rng -> new Lstm(3, 4,
        Lstm.Options.defaults().withPeepholes(true).withActivation(Lstm.Activation.IDENTITY), rng), true);
  }

  @Test
  void peepholesAreNamedParametersThatFeedTheGates() {
    Lstm lstm = new Lstm(2, 3, Lstm.Options.defaults().withPeepholes(true), new Rng(4));
    assertThat(lstm.stateDict().keySet()).containsExactly("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ci_l0", "weight_cf_l0", "weight_co_l0");
    Tensor x = io.github.recurrent4j.tensor.Init.normal(Tensor.zeros(1, 4, 2), 0, 1, new Rng(5));
    float[] with = lstm.forward(x).data().clone();
    Map<String, Tensor> state = new java.util.LinkedHashMap<>(lstm.stateDict());
    state.put("weight_co_l0", Tensor.zeros(3));
    lstm.loadStateDict(state);
    assertThat(lstm.forward(x).data()).isNotEqualTo(with);
    assertThat(new Bidirectional(lstm).stateDict()).containsKey("weight_co_l0_reverse");
  }

  @Test
  void projectionMatchesPyTorchsProjSizeWithPackedUnsortedLengths() {
    Map<String, Tensor> f = io.github.recurrent4j.testing.Fixtures.load("recurrent.safetensors");
    Lstm lstm = new Lstm(3, 5, Lstm.Options.defaults().withProjection(3), new Rng(0));
    assertThat(lstm.stateDict().keySet()).containsExactly("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_hr_l0");
    assertThat(lstm.stateDict().get("weight_hh_l0").shape()).containsExactly(20, 3);
    Map<String, Tensor> weights = new java.util.LinkedHashMap<>();
    for (Parameter p : lstm.parameters()) {
      weights.put(p.name(), io.github.recurrent4j.testing.Fixtures.get(f, "lstm_proj", p.name()));
    }
    lstm.loadStateDict(weights);
    RecurrentParityTest.assertMatchesFixture(f, "lstm_proj", lstm, true);
  }

  @Test
  void projectionPassesGradientChecksAlsoWithPeepholesStackedAndBothWays() {
    RecurrentGradientTest.check(rng -> new Lstm(3, 5, Lstm.Options.defaults().withProjection(2), rng), true);
    RecurrentGradientTest.check(rng -> new Lstm(3, 4,
        Lstm.Options.defaults().withProjection(3).withPeepholes(true), rng), true);
    Rng rng = new Rng(12);
    StackedRnn stack = new StackedRnn(new Lstm(3, 4, Lstm.Options.defaults().withProjection(2), rng), 2, true, 0f, rng);
    Tensor x = io.github.recurrent4j.tensor.Init.normal(Tensor.zeros(2, 3, 3), 0, 1, rng);
    assertThat(stack.forward(x, new int[] {3, 1}, null).shape()).containsExactly(2, 3, 4);
    io.github.recurrent4j.check.GradientCheck.check(SequentialTest.withLengths(stack, x, new int[] {3, 1}),
        io.github.recurrent4j.check.GradientCheck.Options.defaults()).requirePassed();
  }

  @Test
  void initializersGiveEachGatesProjectedRecurrentBlockOrthonormalColumnsOrTheIdentity() {
    int h = 5;
    int p = 3;
    Lstm lstm = new Lstm(4, h, Lstm.Options.defaults().withProjection(p), new Rng(15));
    float[] w = lstm.initialize(RecurrentLayer.Initializer.GLOROT_ORTHOGONAL, new Rng(16)).weightHh().value().data();
    assertThat(w).hasSize(4 * h * p);
    for (int g = 0; g < 4; g++) {
      for (int i = 0; i < p; i++) {
        for (int j = 0; j < p; j++) {
          double dot = 0;
          for (int r = 0; r < h; r++) {
            dot += (double) w[(g * h + r) * p + i] * w[(g * h + r) * p + j];
          }
          assertThat(dot).as("gate %d, columns %d and %d", g, i, j).isCloseTo(i == j ? 1 : 0, within(1e-5));
        }
      }
    }
    w = lstm.initialize(RecurrentLayer.Initializer.IDENTITY, new Rng(17)).weightHh().value().data();
    for (int g = 0; g < 4; g++) {
      for (int r = 0; r < h; r++) {
        for (int c = 0; c < p; c++) {
          assertThat(w[(g * h + r) * p + c]).as("gate %d (%d, %d)", g, r, c).isEqualTo(r == c ? 1f : 0f);
        }
      }
    }
  }

  @Test
  void projectedStreamsMatchTheSequenceForward() {
    Lstm lstm = new Lstm(3, 6, Lstm.Options.defaults().withProjection(2), new Rng(13));
    Tensor x = io.github.recurrent4j.tensor.Init.normal(Tensor.zeros(1, 4, 3), 0, 1, new Rng(14));
    float[] whole = lstm.infer(x, null, null).output().data();
    RecurrentStream stream = lstm.newStream();
    for (int t = 0; t < 4; t++) {
      float[] h = stream.step(java.util.Arrays.copyOfRange(x.data(), 3 * t, 3 * t + 3));
      io.github.recurrent4j.testing.Assertions2.assertClose("step " + t, h,
          java.util.Arrays.copyOfRange(whole, 2 * t, 2 * t + 2), 1e-6, 1e-5);
    }
  }

  @Test
  void projectionMustBeSmallerThanTheHiddenSize() {
    assertThatThrownBy(() -> new Lstm(3, 4, Lstm.Options.defaults().withProjection(4), new Rng(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Lstm: projectionSize must be smaller than hiddenSize (4), got 4");
    assertThatThrownBy(() -> Lstm.Options.defaults().withProjection(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Lstm.Options: projectionSize must be >= 0 (0 for none), got -1");
  }
}
