package io.github.recurrent4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void accuracyAndPerTokenAccuracyCountOnlyValidSteps() {
    Tensor logits = Tensor.of(new float[] {0, 1, 2, 1, 0, 0, 5, 1}, 4, 2);
    assertThat(Metrics.accuracy(logits, new int[] {1, 1, 0, 1})).isEqualTo(0.5); // argmax 1, 1, 0, 0
    Tensor steps = Tensor.of(new float[] {0, 1, 1, 0, 9, 9, 1, 0, 0, 1, 9, 9}, 2, 3, 2);
    // row 0, length 2: argmax 1, 0 vs targets 1, 1; row 1, length 2: argmax 0, 1 vs 0, 1; step 2 of each ignored
    assertThat(Metrics.tokenAccuracy(steps, new int[] {1, 1, 0, 0, 1, 1}, new int[] {2, 2})).isEqualTo(0.75);
    assertThat(Metrics.tokenAccuracy(steps, new int[6], new int[] {0, 0})).isNaN();
    assertThat(Metrics.meanSquaredError(Tensor.of(new float[] {1, 3}, 2), Tensor.of(new float[] {0, 1}, 2)))
        .isEqualTo(2.5);
    assertThatThrownBy(() -> Metrics.accuracy(logits, new int[] {1}))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("Metrics: logits [4, 2] need 4 targets, got 1");
  }
}
