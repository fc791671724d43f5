package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AttentionPoolingTest {
  @ParameterizedTest
  @EnumSource(Attention.Score.class)
  void gradientsPassAFiniteDifferenceCheckWithLengths(Attention.Score score) {
    AttentionPooling pool = new AttentionPooling(4, score, score == Attention.Score.ADDITIVE ? 3 : 0, new Rng(1));
    Tensor x = Init.normal(Tensor.zeros(3, 5, 4), 0, 1, new Rng(2));
    GradientCheck.check(SequentialTest.withLengths(pool, x, new int[] {5, 2, 4}), GradientCheck.Options.defaults())
        .requirePassed();
  }

  @Test
  void poolsTheValidStepsOnlyWithWeightsThatSumToOne() {
    AttentionPooling pool = new AttentionPooling(3, new Rng(3));
    Tensor x = Init.normal(Tensor.zeros(2, 4, 3), 0, 1, new Rng(4));
    Tensor y = pool.forward(x, new int[] {4, 2}).copy();
    Tensor w = pool.weights();
    assertThat(w.shape()).containsExactly(2, 4);
    assertThat(w.get(1, 2)).isZero();
    assertThat(w.get(1, 3)).isZero();
    assertThat(w.get(1, 0) + w.get(1, 1)).isCloseTo(1f, within(1e-6f));
    for (int d = 0; d < 3; d++) { // by hand from the weights: y = Σ_t α_t h_t
      float expected = w.get(1, 0) * x.get(1, 0, d) + w.get(1, 1) * x.get(1, 1, d);
      assertThat(y.get(1, d)).isCloseTo(expected, within(1e-6f));
    }
    assertThat(pool.parameters()).extracting(Parameter::name)
        .containsExactly("query", "query_weight", "key_weight", "v");
  }

  @Test
  void misuseIsAClearError() {
    AttentionPooling pool = new AttentionPooling(3, new Rng(3));
    assertThatThrownBy(() -> pool.backward(Tensor.zeros(1, 3))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("backward called before forward");
    assertThatThrownBy(() -> pool.forward(Tensor.zeros(1, 4, 2), null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected input [batch, time, 3], got [1, 4, 2]");
    assertThatThrownBy(() -> pool.forward(Tensor.zeros(2, 4, 3), new int[] {4, 0}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 1 has no keys");
  }
}
