package io.github.recurrent4j.train;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Padded batches from variable-length sequences, batch first and right-padded, with the lengths
 * every layer and loss takes. {@link #order} decides which sequences go together: in a seeded
 * shuffled order, or bucketed by length (similar lengths together, so little padding) with the
 * batches then shuffled.
 */
public final class Batching {
  private Batching() {}

  /** Sequences of feature vectors, padded: inputs {@code [B, T, F]}, with T the longest length. */
  public record Batch(Tensor inputs, int[] lengths, int[] indices) {}

  /** Token id sequences, padded with {@code padId}: {@code ids} row-major {@code [B, T]}. */
  public record IdBatch(int[] ids, int batch, int steps, int[] lengths, int[] indices) {}

  /**
   * Groups sequence indices into batches of at most {@code batchSize}. With {@code bucket}, the
   * indices are sorted by length (ties keep their order) before grouping; the batches (or, without
   * buckets, the indices) are shuffled by {@code rng}, or kept in order when it is null.
   */
  public static List<int[]> order(int[] lengths, int batchSize, boolean bucket, Rng rng) {
    if (lengths == null || batchSize < 1) {
      throw new IllegalArgumentException("Batching.order: needs lengths and batchSize >= 1, got batchSize="
          + batchSize);
    }
    Integer[] idx = new Integer[lengths.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    if (bucket) {
      Arrays.sort(idx, Comparator.comparingInt(i -> lengths[i]));
    } else if (rng != null) {
      int[] perm = new int[idx.length];
      for (int i = 0; i < perm.length; i++) {
        perm[i] = i;
      }
      rng.shuffle(perm);
      for (int i = 0; i < perm.length; i++) {
        idx[i] = perm[i];
      }
    }
    List<int[]> batches = new ArrayList<>();
    for (int from = 0; from < idx.length; from += batchSize) {
      int[] b = new int[Math.min(batchSize, idx.length - from)];
      for (int j = 0; j < b.length; j++) {
        b[j] = idx[from + j];
      }
      batches.add(b);
    }
    if (bucket && rng != null) {
      int[] perm = new int[batches.size()];
      for (int i = 0; i < perm.length; i++) {
        perm[i] = i;
      }
      rng.shuffle(perm);
      List<int[]> shuffled = new ArrayList<>();
      for (int p : perm) {
        shuffled.add(batches.get(p));
      }
      return shuffled;
    }
    return batches;
  }

  /** Pads the sequences {@code [T_i, F]} at {@code indices} into one {@code [B, T, F]} batch. */
  public static Batch pad(List<Tensor> sequences, int[] indices) {
    if (sequences == null || indices == null || indices.length == 0) {
      throw new IllegalArgumentException("Batching.pad: needs sequences and at least one index");
    }
    int features = -1;
    int steps = 0;
    int[] lengths = new int[indices.length];
    for (int b = 0; b < indices.length; b++) {
      Tensor s = sequences.get(indices[b]);
      if (s == null || s.rank() != 2) {
        throw new IllegalArgumentException("Batching.pad: sequence " + indices[b] + " must be [T, F], got "
            + (s == null ? "null" : s.shapeString()));
      }
      if (features >= 0 && s.dim(1) != features) {
        throw new IllegalArgumentException("Batching.pad: sequence " + indices[b] + " has " + s.dim(1)
            + " features, the others " + features);
      }
      features = s.dim(1);
      lengths[b] = s.dim(0);
      steps = Math.max(steps, lengths[b]);
    }
    Tensor x = Tensor.zeros(indices.length, steps, features);
    for (int b = 0; b < indices.length; b++) {
      float[] src = sequences.get(indices[b]).data();
      System.arraycopy(src, 0, x.data(), b * steps * features, src.length);
    }
    return new Batch(x, lengths, indices.clone());
  }

  /** Pads the id sequences at {@code indices} with {@code padId} into one {@code [B, T]} batch. */
  public static IdBatch padIds(List<int[]> sequences, int[] indices, int padId) {
    if (sequences == null || indices == null || indices.length == 0) {
      throw new IllegalArgumentException("Batching.padIds: needs sequences and at least one index");
    }
    int steps = 0;
    int[] lengths = new int[indices.length];
    for (int b = 0; b < indices.length; b++) {
      int[] s = sequences.get(indices[b]);
      if (s == null) {
        throw new IllegalArgumentException("Batching.padIds: sequence " + indices[b] + " is null");
      }
      lengths[b] = s.length;
      steps = Math.max(steps, s.length);
    }
    int[] ids = new int[indices.length * steps];
    Arrays.fill(ids, padId);
    for (int b = 0; b < indices.length; b++) {
      int[] s = sequences.get(indices[b]);
      System.arraycopy(s, 0, ids, b * steps, s.length);
    }
    return new IdBatch(ids, indices.length, steps, lengths, indices.clone());
  }
}
