package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Rng;

/** One step of {@link Lstm}, as {@code torch.nn.LSTMCell}; see {@link RecurrentCell}. */
public final class LstmCell extends RecurrentCell {
  /** Initialised from the default generator (see {@link Rng#manualSeed}). */
  public LstmCell(int inputSize, int hiddenSize) {
    this(inputSize, hiddenSize, Rng.fromDefault());
  }

  public LstmCell(int inputSize, int hiddenSize, Rng rng) {
    super(new Lstm(inputSize, hiddenSize, Lstm.Options.defaults(), "", rng));
  }
}
