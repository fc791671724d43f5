package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class DropoutTest {
  @Test
  void trainingZeroesAboutPAndScalesTheRestEvaluationIsTheIdentity() {
    Dropout d = new Dropout(0.25, new Rng(1));
    Tensor x = Tensor.full(2f, 10_000);
    Tensor y = d.forward(x);
    long zeros = 0;
    for (float v : y.data()) {
      assertThat(v == 0f || v == 2f / 0.75f).isTrue();
      zeros += v == 0f ? 1 : 0;
    }
    assertThat(zeros).isBetween(2300L, 2700L);
    Tensor g = d.backward(Tensor.full(1f, 10_000));
    for (int i = 0; i < y.size(); i++) {
      assertThat(g.data()[i]).isEqualTo(y.data()[i] == 0f ? 0f : 1f / 0.75f);
    }
    d.setTraining(false);
    assertThat(d.forward(x)).isSameAs(x);
    assertThat(new Dropout(0.25, new Rng(1)).forward(x).data()).containsExactly(y.data());
    assertThatThrownBy(() -> new Dropout(1, new Rng(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("Dropout: p must be in [0, 1), got 1.0");
  }
}
