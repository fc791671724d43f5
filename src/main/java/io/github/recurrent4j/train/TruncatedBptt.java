package io.github.recurrent4j.train;

import io.github.recurrent4j.nn.RnnState;
import io.github.recurrent4j.nn.StatefulSequenceLayer;
import io.github.recurrent4j.tensor.Tensor;

/**
 * Truncated backpropagation through time: a long batch {@code [B, T, F]} runs in chunks of k steps.
 * Each chunk starts from the previous chunk's final state, copied as a plain value, so the state
 * carries forward across chunk boundaries and the gradient does not (each chunk's backward stops
 * at its initial state). The caller's {@link Chunk} does the forward, the loss, the backward and,
 * usually, the optimizer step.
 */
public final class TruncatedBptt {
  private TruncatedBptt() {}

  /** One chunk: forward {@code layer} from {@code initial}, compute the loss, backward; return the loss. */
  @FunctionalInterface
  public interface Chunk {
    double run(Tensor input, int[] lengths, RnnState initial, int index);
  }

  /**
   * Runs {@code chunk} over consecutive windows of {@code k} steps (the last may be shorter); the
   * window's lengths are each row's valid steps within it. Returns the sum of the chunks' losses.
   */
  public static double run(StatefulSequenceLayer layer, Tensor x, int[] lengths, int k, Chunk chunk) {
    if (layer == null || x == null || chunk == null) {
      throw new IllegalArgumentException("TruncatedBptt: layer, input and chunk must not be null");
    }
    if (x.rank() != 3) {
      throw new IllegalArgumentException("TruncatedBptt: expected input [batch, time, features], got "
          + x.shapeString());
    }
    if (k < 1) {
      throw new IllegalArgumentException("TruncatedBptt: the chunk length must be >= 1, got " + k);
    }
    int b = x.dim(0);
    int t = x.dim(1);
    int f = x.dim(2);
    if (lengths != null && lengths.length != b) {
      throw new IllegalArgumentException("TruncatedBptt: expected " + b + " lengths, got " + lengths.length);
    }
    RnnState state = null;
    double total = 0;
    for (int start = 0, index = 0; start < t; start += k, index++) {
      int steps = Math.min(k, t - start);
      Tensor window = Tensor.zeros(b, steps, f);
      int[] windowLengths = new int[b];
      for (int row = 0; row < b; row++) {
        System.arraycopy(x.data(), (row * t + start) * f, window.data(), row * steps * f, steps * f);
        int len = lengths == null ? t : lengths[row];
        windowLengths[row] = Math.max(0, Math.min(steps, len - start));
      }
      total += chunk.run(window, windowLengths, state, index);
      RnnState last = layer.finalState();
      state = new RnnState(last.h().copy(), last.c() == null ? null : last.c().copy()); // a value: no gradient link
    }
    return total;
  }
}
