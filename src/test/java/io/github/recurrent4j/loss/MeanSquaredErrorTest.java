package io.github.recurrent4j.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class MeanSquaredErrorTest {
  @Test
  void meanAndSumWithTheirGradientsByHand() {
    Tensor p = Tensor.of(new float[] {1, 2, 3, 5}, 2, 2);
    Tensor t = Tensor.of(new float[] {1, 0, 4, 5}, 2, 2);
    MeanSquaredError mean = new MeanSquaredError();
    assertThat(mean.forward(p, t)).isEqualTo((0 + 4 + 1 + 0) / 4.0);
    assertThat(mean.backward().data()).containsExactly(0f, 1f, -0.5f, 0f); // 2 (p - t) / 4
    MeanSquaredError sum = new MeanSquaredError(Reduction.SUM);
    assertThat(sum.forward(p, t)).isEqualTo(5.0);
    assertThat(sum.backward().data()).containsExactly(0f, 4f, -2f, 0f);
  }

  @Test
  void shapesMustMatchExactly() {
    assertThatThrownBy(() -> new MeanSquaredError().forward(Tensor.zeros(2, 1), Tensor.zeros(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("MeanSquaredError: prediction of shape [2, 1] and target of shape [2] differ; nothing is broadcast");
    assertThatThrownBy(() -> new MeanSquaredError().backward())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("MeanSquaredError: backward called before forward");
  }

  @Test
  void backwardIntoTheCallersTensorOverwritesItAndMayBeThePrediction() {
    Tensor p = Tensor.of(new float[] {1, 2, 3, 5}, 2, 2);
    Tensor t = Tensor.of(new float[] {1, 0, 4, 5}, 2, 2);
    MeanSquaredError mean = new MeanSquaredError();
    mean.forward(p, t);
    Tensor out = Tensor.full(Float.NaN, 2, 2);
    assertThat(mean.backward(out)).isSameAs(out);
    assertThat(out.data()).containsExactly(0f, 1f, -0.5f, 0f);
    assertThat(mean.backward(p).data()).containsExactly(0f, 1f, -0.5f, 0f); // in place
    assertThatThrownBy(() -> mean.backward(Tensor.zeros(4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("MeanSquaredError: expected out of the prediction's shape [2, 2], got [4]");
    assertThatThrownBy(() -> mean.backward(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("MeanSquaredError: expected out of the prediction's shape [2, 2], got null");
    assertThatThrownBy(() -> new MeanSquaredError().backward(out))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("MeanSquaredError: backward called before forward");
  }
}
