package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;

/**
 * Step-by-step inference over one sequence: each {@link #step} takes one input vector and returns
 * the new hidden state, allocating nothing. Made by {@link RecurrentLayer#newStream()}; one stream
 * per sequence, used by one thread at a time. Resettable, so a server can keep one per client.
 */
public final class RecurrentStream {
  private final RecurrentLayer layer;
  private final RecurrentLayer.Run run; // (1, 1): its h (and c) is the stream's state

  RecurrentStream(RecurrentLayer layer, RecurrentLayer.Run run) {
    this.layer = layer;
    this.run = run;
    run.lengths = new int[] {1};
    run.output = new float[layer.outputSize()];
    reset();
  }

  /**
   * Feeds one input vector of length I and returns h_t (length {@code outputSize()}): the stream's own array, valid
   * until the next call (copy it to keep it).
   */
  public float[] step(float[] x) {
    if (x == null || x.length != layer.inputSize()) {
      throw new IllegalArgumentException(layer + ": a stream step takes " + layer.inputSize() + " inputs, got "
          + (x == null ? "null" : x.length));
    }
    layer.streamStep(run, x);
    return run.output;
  }

  /** Back to the zero state. */
  public void reset() {
    Arrays.fill(run.h, 0f);
    layer.startCell(run, null);
  }

  /** Sets the state: h (and c for an LSTM) of shape (1, 1, H); null components mean zeros. */
  public void reset(RnnState state) {
    layer.checkState(state, 1, "stream state");
    if (state == null || state.h() == null) {
      Arrays.fill(run.h, 0f);
    } else {
      System.arraycopy(state.h().data(), 0, run.h, 0, run.h.length);
    }
    layer.startCell(run, state == null ? null : state.c());
  }

  /** A copy of the current state, (1, 1, H) each. */
  public RnnState state() {
    Tensor c = layer.cellFinal(run);
    return new RnnState(Tensor.of(run.h.clone(), 1, 1, layer.outputSize()), c);
  }
}
