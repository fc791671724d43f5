package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Rng;

/** One step of {@link SimpleRnn}, as {@code torch.nn.RNNCell}; see {@link RecurrentCell}. */
public final class SimpleRnnCell extends RecurrentCell {
  /** tanh, initialised from the default generator (see {@link Rng#manualSeed}). */
  public SimpleRnnCell(int inputSize, int hiddenSize) {
    this(inputSize, hiddenSize, SimpleRnn.Nonlinearity.TANH, Rng.fromDefault());
  }

  public SimpleRnnCell(int inputSize, int hiddenSize, SimpleRnn.Nonlinearity nonlinearity, Rng rng) {
    super(new SimpleRnn(inputSize, hiddenSize, nonlinearity, "", rng));
  }
}
