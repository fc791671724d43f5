package io.github.recurrent4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.nn.Embedding;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The README's code, line for line, so that it keeps compiling and doing what the README says. */
class ReadmeExampleTest {
  @Test
  void usingItSection() {
    Linear layer = new Linear(4, 2, true, new Rng(42)); // weight [2, 4], bias [2], PyTorch's init
    Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4);
    Tensor y = layer.forward(x); // [2, 2]
    Tensor dx = layer.backward(Tensor.zeros(2, 2).fill(1f)); // adds into layer.weight().grad(), returns dL/dx
    assertThat(y.shape()).containsExactly(2, 2);
    assertThat(dx.shape()).containsExactly(2, 4);
    assertThat(layer.weight().grad().get(0, 0)).isEqualTo(1f + 5f);

    Embedding embedding = new Embedding(10, 3, new Rng(1));
    assertThat(embedding.forward(new int[][] {{4, 2, 7}}).shape()).containsExactly(1, 3, 3);
  }
}
