package io.github.recurrent4j.nn;

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
}
