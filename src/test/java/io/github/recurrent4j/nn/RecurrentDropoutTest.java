package io.github.recurrent4j.nn;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Variational recurrent dropout: one mask per sequence on h_{t-1} where it enters W_hh, training only. */
class RecurrentDropoutTest {
  static void check(Function<Rng, RecurrentLayer> make, boolean cell) {
    Rng rng = new Rng(60);
    RecurrentLayer layer = make.apply(rng);
    Tensor x = Init.normal(Tensor.zeros(3, 4, layer.inputSize()), 0, 1, rng);
    int[] lengths = {4, 0, 2};
    GradientCheck.Function f = RecurrentGradientTest.asFunction(layer, x, lengths, cell, rng);
    GradientCheck.check(new GradientCheck.Function() {
      @Override
      public java.util.List<Parameter> variables() {
        return f.variables();
      }

      @Override
      public Tensor forward() {
        layer.withRecurrentDropout(0.4, new Rng(61)); // the same mask for every probe
        return f.forward();
      }

      @Override
      public void backward(Tensor g) {
        f.backward(g);
      }
    }, GradientCheck.Options.defaults()).requirePassed();
    assertThat(layer.lastMask()).isNotNull();
  }

  @Test
  void gradientChecksPassWithTheMaskHeldFixed() {
    check(rng -> new SimpleRnn(3, 5, SimpleRnn.Nonlinearity.TANH, rng), false);
    check(rng -> new Lstm(3, 5, rng), true);
    check(rng -> new Gru(3, 5, rng), false);
    check(rng -> new Lstm(3, 5, Lstm.Options.defaults().withProjection(3).withPeepholes(true), rng), true);
  }

  @Test
  void oneMaskPerSequenceIsReusedAtEveryStep() {
    Rng rng = new Rng(62);
    SimpleRnn rnn = new SimpleRnn(2, 4, SimpleRnn.Nonlinearity.TANH, rng);
    rnn.withRecurrentDropout(0.5, new Rng(63));
    Tensor x = Init.normal(Tensor.zeros(2, 5, 2), 0, 1, rng);
    Tensor y = rnn.forward(x, null, null);
    float[] m = rnn.lastMask();
    assertThat(m).hasSize(8);
    for (float v : m) {
      assertThat(v == 0f || v == 2f).isTrue();
    }
    // By hand: h_t = tanh(W_ih x_t + b_ih + W_hh (h_{t-1} ⊙ m) + b_hh), the same m at every step.
    Tensor wi = rnn.weightIh().value();
    Tensor wh = rnn.weightHh().value();
    float[] expected = new float[y.size()];
    for (int b = 0; b < 2; b++) {
      double[] h = new double[4];
      for (int t = 0; t < 5; t++) {
        double[] next = new double[4];
        for (int j = 0; j < 4; j++) {
          double sum = rnn.biasIh().value().get(j) + rnn.biasHh().value().get(j);
          for (int i = 0; i < 2; i++) {
            sum += wi.get(j, i) * x.get(b, t, i);
          }
          for (int i = 0; i < 4; i++) {
            sum += wh.get(j, i) * h[i] * m[b * 4 + i];
          }
          next[j] = Math.tanh(sum);
          expected[(b * 5 + t) * 4 + j] = (float) next[j];
        }
        h = next;
      }
    }
    assertClose("outputs", y.data(), expected, 1e-6, 1e-5);
    // Inference uses no mask; the training forward without dropout equals it.
    Tensor inferred = rnn.infer(x, null, null).output();
    rnn.withRecurrentDropout(0, null);
    assertThat(rnn.forward(x, null, null).data()).containsExactly(inferred.data());
  }

  @Test
  void misuseIsReported() {
    assertThatThrownBy(() -> new Lstm(2, 3, new Rng(1)).withRecurrentDropout(1, new Rng(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Lstm(input=2, hidden=3): recurrent dropout must be in [0, 1), got 1.0");
    assertThatThrownBy(() -> new Gru(2, 3, true, new Rng(1)).withRecurrentDropout(0.2, new Rng(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gru(input=2, hidden=3): recurrent dropout is not supported with the reset gate before the product");
  }
}
