package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Kernels;
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
   * From this many multiply-adds per step (an LSTM of I=64, H=256 has 327,680: 1.3 MB of weights)
   * a step splits its gate rows in two halves across two threads, so each core reads its half of
   * the weights from its own cache.
   */
  static final long SPLIT_MIN_WORK = 1L << 17;

  private final RecurrentLayer layer;
  private final RecurrentLayer.Run run; // (1, 1): its h (and c) is the stream's state
  private final boolean packed; // the layer's packed weights and the block product, else its own step
  private final float[] z; // [x h_{t-1}] of the step in progress, what the packed product reads
  private final float[] sums; // the packed product's sums, one per packed row
  private final Parallel.Prepared split; // the two halves of the blocks, or null: one thread
  private RecurrentLayer.StreamWeights weights; // of the step in progress, for the split's tasks
  private boolean reverse; // the direction of this step's walk over the blocks: alternates

  RecurrentStream(RecurrentLayer layer, RecurrentLayer.Run run) {
    this.layer = layer;
    this.run = run;
    run.lengths = new int[] {1};
    run.output = new float[layer.outputSize()];
    int gates = run.gates.length;
    packed = layer.packsStreamWeights();
    int blocks = Kernels.columnBlocks(gates);
    z = packed ? new float[layer.inputSize() + layer.outputSize()] : null;
    sums = packed ? new float[blocks * Kernels.COLUMN_BLOCK] : null;
    long work = (long) gates * (layer.inputSize() + layer.outputSize());
    // split on whole blocks: each row's sum is the same whichever thread takes it
    int half = blocks / 2;
    if (packed && Parallel.threads() >= 2 && work >= SPLIT_MIN_WORK && half > 0) {
      split = Parallel.prepare(2, task -> layer.streamBlocks(run, weights, z, sums, task == 0 ? 0 : half,
          task == 0 ? half : blocks, reverse));
    } else {
      split = null;
    }
    reset();
  }

  /**
   * Feeds one input vector of length I and returns h_t (length {@code outputSize()}): the stream's own array, valid
   * until the next call (copy it to keep it).
   *
   * <p>An LSTM's or a simple RNN's step reads a copy of the layer's weights packed for it, shared
   * by the layer's streams and made again, on the next step, whenever a weight or bias has changed
   * by any means that raises its {@link io.github.recurrent4j.tensor.Tensor#version() version}
   * (an optimizer, a state-dict load, an initializer, any call of its {@code data()}).
   */
  public float[] step(float[] x) {
    if (x == null || x.length != layer.inputSize()) {
      throw new IllegalArgumentException(layer + ": a stream step takes " + layer.inputSize() + " inputs, got "
          + (x == null ? "null" : x.length));
    }
    if (!packed) {
      layer.streamStep(run, x);
      return run.output;
    }
    RecurrentLayer.StreamWeights w = layer.streamWeights();
    int width = layer.outputSize();
    System.arraycopy(x, 0, z, 0, x.length);
    System.arraycopy(run.h, 0, z, x.length, width);
    System.arraycopy(run.h, 0, run.hPrev, 0, width); // h_{t-1}, which the cell reads
    // Every other step walks the blocks backwards: it starts on those the last step read last,
    // which are the likeliest to be still in cache.
    reverse = !reverse;
    if (split == null) {
      layer.streamBlocks(run, w, z, sums, 0, w.blocks, reverse);
    } else {
      weights = w;
      Parallel.run(split);
      weights = null;
    }
    layer.stepForward(run, 0);
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
