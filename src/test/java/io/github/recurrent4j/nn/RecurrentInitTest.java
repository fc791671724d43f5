package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class RecurrentInitTest {
  /** Σ_i W[g·H + r, i] · W[g·H + s, i] for one gate block. */
  static double rowDot(Tensor w, int h, int gate, int r, int s) {
    double dot = 0;
    for (int i = 0; i < h; i++) {
      dot += (double) w.get(gate * h + r, i) * w.get(gate * h + s, i);
    }
    return dot;
  }

  @Test
  void glorotOrthogonalGivesOrthogonalGateBlocksBoundedInputsAndZeroBiasesButKeepsTheForgetBias() {
    Lstm lstm = new Lstm(6, 5, Lstm.Options.defaults().withUnitForgetBias(true), new Rng(1));
    lstm.initialize(RecurrentLayer.Initializer.GLOROT_ORTHOGONAL, new Rng(2));
    Tensor w = lstm.weightHh().value();
    for (int gate = 0; gate < 4; gate++) {
      for (int r = 0; r < 5; r++) {
        for (int s = 0; s < 5; s++) {
          assertThat(rowDot(w, 5, gate, r, s)).isCloseTo(r == s ? 1 : 0, offset(1e-5));
        }
      }
    }
    double bound = Math.sqrt(6.0 / (6 + 20));
    for (float v : lstm.weightIh().value().data()) {
      assertThat(Math.abs(v)).isLessThanOrEqualTo((float) bound);
    }
    float[] bi = lstm.biasIh().value().data();
    assertThat(bi[0]).isZero();
    assertThat(bi[5]).isEqualTo(1f); // the forget gate's block
  }

  @Test
  void identityIsTheIrnnRecipe() {
    SimpleRnn rnn = new SimpleRnn(3, 4, SimpleRnn.Nonlinearity.RELU, new Rng(1));
    rnn.initialize(RecurrentLayer.Initializer.IDENTITY, new Rng(3));
    Tensor w = rnn.weightHh().value();
    for (int r = 0; r < 4; r++) {
      for (int c = 0; c < 4; c++) {
        assertThat(w.get(r, c)).isEqualTo(r == c ? 1f : 0f);
      }
    }
    assertThat(rnn.biasHh().value().data()).containsOnly(0f);
    for (float v : rnn.weightIh().value().data()) {
      assertThat(Math.abs(v)).isLessThan(0.01f);
    }
  }

  @Test
  void pytorchSchemeIsReproducibleFromTheSeed() {
    Gru a = new Gru(3, 4, new Rng(1));
    Gru b = new Gru(3, 4, new Rng(9));
    a.initialize(RecurrentLayer.Initializer.PYTORCH, new Rng(5));
    b.initialize(RecurrentLayer.Initializer.PYTORCH, new Rng(5));
    assertThat(a.stateDict()).isEqualTo(b.stateDict());
    for (float v : a.weightHh().value().data()) {
      assertThat(Math.abs(v)).isLessThanOrEqualTo(0.5f);
    }
  }
}
