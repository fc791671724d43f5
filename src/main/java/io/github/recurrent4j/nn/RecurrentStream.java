package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Parallel;
import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;

/**
 * Step-by-step inference over one sequence: each {@link #step} takes one input vector and returns
 * the new hidden state, allocating nothing. Made by {@link RecurrentLayer#newStream()}; one stream
 * per sequence, used by one thread at a time. Resettable, so a server can keep one per client.
 */
public final class RecurrentStream {
  /**
   * From this many multiply-adds per step (an LSTM of I=64, H=256 has 327,680: 1.3 MB of weights,
   * more than one core's L2) a step splits its gate rows in two halves across two threads, so
   * each core keeps its half of the weights in its own cache.
   */
  static final long SPLIT_MIN_WORK = 1L << 17;

  private final RecurrentLayer layer;
  private final RecurrentLayer.Run run; // (1, 1): its h (and c) is the stream's state
  private final Parallel.Prepared split; // the two halves of the gate rows, or null: one thread
  private float[] x; // the input of the step in progress, for the split's tasks

  RecurrentStream(RecurrentLayer layer, RecurrentLayer.Run run) {
    this.layer = layer;
    this.run = run;
    run.lengths = new int[] {1};
    run.output = new float[layer.outputSize()];
    int gates = run.gates.length;
    long work = (long) gates * (layer.inputSize() + layer.outputSize());
    // split on a multiple of 16 rows: the dot-product kernel's row groups, so every row's bits stay
    int half = gates / 2 / 16 * 16;
    if (Parallel.threads() >= 2 && layer.splitsStreamRows() && work >= SPLIT_MIN_WORK && half > 0) {
      split = Parallel.prepare(2, task -> layer.streamRows(run, x, task == 0 ? 0 : half, task == 0 ? half : gates));
    } else {
      split = null;
    }
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
    if (split == null) {
      layer.streamStep(run, x);
    } else {
      this.x = x;
      System.arraycopy(run.h, 0, run.hPrev, 0, layer.outputSize());
      Parallel.run(split);
      layer.stepForward(run, 0);
      this.x = null;
    }
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
