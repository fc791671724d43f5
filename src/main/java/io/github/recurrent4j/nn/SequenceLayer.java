package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Tensor;

/**
 * A layer over batch-first sequences {@code [B, T, F]}. Variable-length batches are right-padded
 * and described by {@code lengths} (one per row, each in {@code [0, T]}): outputs past a row's
 * length are zero and padded steps contribute nothing to any gradient.
 */
public interface SequenceLayer extends Layer {
  /** The forward pass over padded sequences: {@code [B, T, F] -> [B, T, H·directions]}. */
  Tensor forward(Tensor input, int[] lengths);

  /** Every row has the full length T. */
  @Override
  default Tensor forward(Tensor input) {
    return forward(input, null);
  }
}
