package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.loss.CrossEntropy;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Saturating inputs, huge logits, very long sequences and empty rows give finite outputs and gradients. */
class NumericalExtremesTest {
  static void assertFinite(String what, float[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new AssertionError(what + "[" + i + "] is " + values[i]);
      }
    }
  }

  static void assertFiniteGradients(String what, Module m) {
    for (Parameter p : m.parameters()) {
      assertFinite(what + " grad " + p.name(), p.grad().data());
    }
  }

  @Test
  void inputsOfTenThousandSaturateEveryLayerWithoutNan() {
    List<Function<Rng, RecurrentLayer>> makers = List.of(rng -> new SimpleRnn(3, 4, SimpleRnn.Nonlinearity.TANH, rng),
        rng -> new Lstm(3, 4, rng), rng -> new Gru(3, 4, rng));
    for (Function<Rng, RecurrentLayer> make : makers) {
      Rng rng = new Rng(70);
      RecurrentLayer layer = make.apply(rng);
      Tensor x = Init.normal(Tensor.zeros(2, 6, 3), 0, 1, rng);
      for (int i = 0; i < x.size(); i++) {
        x.data()[i] = x.data()[i] > 0 ? 1e4f : -1e4f;
      }
      Tensor y = layer.forward(x, new int[] {6, 0}, null);
      assertFinite(layer + " output", y.data());
      Tensor dx = layer.backward(Tensor.full(1f, y.shape()));
      assertFinite(layer + " input grad", dx.data());
      assertFiniteGradients(layer.toString(), layer);
    }
  }

  @Test
  void tenThousandStepsRunForwardAndBackward() {
    Rng rng = new Rng(71);
    Lstm lstm = new Lstm(2, 8, rng);
    Tensor x = Init.normal(Tensor.zeros(2, 10_000, 2), 0, 1, rng);
    Tensor y = lstm.forward(x, new int[] {10_000, 3}, null);
    assertFinite("output", y.data());
    Tensor dx = lstm.backward(Init.normal(Tensor.zeros(y.shape()), 0, 1, rng));
    assertFinite("input grad", dx.data());
    assertFiniteGradients("lstm", lstm);
    assertThat(lstm.finalState().h().get(0, 1, 0)).isEqualTo(y.get(1, 2, 0));
  }

  @Test
  void logitsOfTenThousandGiveAFiniteCrossEntropyAndGradient() {
    Tensor logits = Tensor.of(new float[] {1e4f, -1e4f, 0, -1e4f, 1e4f, 1e4f}, 2, 3);
    CrossEntropy ce = new CrossEntropy(CrossEntropy.Options.defaults().withLabelSmoothing(0.1));
    double loss = ce.forward(logits, new int[] {1, 0});
    assertThat(Double.isFinite(loss)).isTrue();
    assertThat(loss).isGreaterThan(1e3); // confidently wrong
    assertFinite("cross-entropy grad", ce.backward().data());
  }
}
