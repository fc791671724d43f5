package io.github.recurrent4j.examples;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;

/**
 * The adding problem (Hochreiter &amp; Schmidhuber 1997): each step carries a random value in [0, 1)
 * and a marker; exactly two steps are marked, one in each half, and the target is the sum of their
 * values. Answering the mean (1.0) always scores an MSE of 1/6 ≈ 0.17.
 */
public record AddingProblem(Tensor inputs, Tensor targets) {
  /** {@code count} sequences of {@code steps} steps, each step (value, marker). */
  public static AddingProblem generate(int count, int steps, Rng rng) {
    Tensor x = Tensor.zeros(count, steps, 2);
    Tensor y = Tensor.zeros(count, 1);
    for (int n = 0; n < count; n++) {
      int first = rng.nextInt(steps / 2);
      int second = steps / 2 + rng.nextInt(steps - steps / 2);
      float sum = 0;
      for (int t = 0; t < steps; t++) {
        float value = rng.nextFloat();
        x.set(value, n, t, 0);
        if (t == first || t == second) {
          x.set(1f, n, t, 1);
          sum += value;
        }
      }
      y.set(sum, n, 0);
    }
    return new AddingProblem(x, y);
  }

  /** Rows {@code [from, from + size)} as a batch. */
  public AddingProblem batch(int from, int size) {
    int steps = inputs.dim(1);
    float[] x = java.util.Arrays.copyOfRange(inputs.data(), from * steps * 2, (from + size) * steps * 2);
    float[] y = java.util.Arrays.copyOfRange(targets.data(), from, from + size);
    return new AddingProblem(Tensor.of(x, size, steps, 2), Tensor.of(y, size, 1));
  }
}
