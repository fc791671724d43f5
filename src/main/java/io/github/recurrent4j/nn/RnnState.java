package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Tensor;

/**
 * The state of a recurrent layer, in PyTorch's layout: {@code h} is {@code [L·D, B, H]} (layers ×
 * directions, batch, hidden) and, for an LSTM, {@code c} has the same shape; {@code c} is
 * {@code null} for layers without a cell state. The same record carries state gradients.
 */
public record RnnState(Tensor h, Tensor c) {
  /** A state with only {@code h}. */
  public static RnnState of(Tensor h) {
    return new RnnState(h, null);
  }
}
