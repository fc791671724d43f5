package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;

/** The one check of {@code lengths} that sequence layers share. */
final class SequenceLengths {
  private SequenceLengths() {}

  /** Null means every row is T long; otherwise one length per row, each in [0, T]. Returns a copy. */
  static int[] check(Object layer, int[] lengths, int batch, int steps) {
    if (lengths == null) {
      int[] all = new int[batch];
      Arrays.fill(all, steps);
      return all;
    }
    if (lengths.length != batch) {
      throw new IllegalArgumentException(layer + ": expected " + batch + " lengths (one per batch row), got "
          + lengths.length);
    }
    for (int i = 0; i < batch; i++) {
      if (lengths[i] < 0 || lengths[i] > steps) {
        throw new IllegalArgumentException(layer + ": lengths[" + i + "] = " + lengths[i] + " is out of range [0, "
            + steps + "]");
      }
    }
    return lengths.clone();
  }

  /** Zeros steps t >= lengths[b] of a [B, T, F] tensor. */
  static void zeroPadded(Tensor x, int[] lengths) {
    int t = x.dim(1);
    int f = x.dim(2);
    if (lengths.length != x.dim(0)) {
      throw new IllegalArgumentException("expected " + x.dim(0) + " lengths, got " + lengths.length);
    }
    for (int b = 0; b < lengths.length; b++) {
      int from = (b * t + Math.max(0, Math.min(t, lengths[b]))) * f;
      Arrays.fill(x.data(), from, (b + 1) * t * f, 0f);
    }
  }
}
