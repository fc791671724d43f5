package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Rng;

/** One step of {@link Gru}, as {@code torch.nn.GRUCell}; see {@link RecurrentCell}. */
public final class GruCell extends RecurrentCell {
  /** Initialised from the default generator (see {@link Rng#manualSeed}). */
  public GruCell(int inputSize, int hiddenSize) {
    this(inputSize, hiddenSize, Rng.fromDefault());
  }

  public GruCell(int inputSize, int hiddenSize, Rng rng) {
    super(new Gru(inputSize, hiddenSize, false, "", rng));
  }
}
