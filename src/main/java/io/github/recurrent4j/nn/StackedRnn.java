package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Recurrent layers stacked as PyTorch's {@code num_layers}: level k reads level k-1's output, and
 * in the training forward the outputs of every level but the last pass through dropout.
 * <pre>
 *   y_0 = level_0(x),  y_k = level_k(dropout(y_{k-1})),  output = y_{L-1}
 * </pre>
 * Each level is a copy of the given layer's kind and options (bidirectional when asked), with
 * PyTorch's names: {@code weight_ih_l1}, {@code weight_ih_l1_reverse}, ... States are
 * {@code [L·D, B, H]}, level by level and forward direction first, as PyTorch's h_n.
 */
public final class StackedRnn implements StatefulSequenceLayer {
  private final List<StatefulSequenceLayer> levels;
  private final int directions;
  private final float dropout;
  private Rng dropoutRng;
  private final List<float[]> masks = new ArrayList<>(); // (B, T, W) per level but the last, scaled by 1/(1-p)
  private int trainedLevels; // levels that ran in the last training forward

  /**
   * @param first the level-0 layer (input size I); levels 1.. are made like it, with input size H·D
   * @param numLayers the number of levels, at least 1
   * @param bidirectional read every level both ways (outputs concatenated)
   * @param dropout the probability of zeroing an output between levels in the training forward, in [0, 1)
   */
  public StackedRnn(RecurrentLayer first, int numLayers, boolean bidirectional, float dropout, Rng rng) {
    if (first == null || rng == null) {
      throw new IllegalArgumentException("StackedRnn: the first layer and rng must not be null");
    }
    if (numLayers < 1) {
      throw new IllegalArgumentException("StackedRnn: numLayers must be >= 1, got " + numLayers);
    }
    if (!(dropout >= 0f && dropout < 1f)) {
      throw new IllegalArgumentException("StackedRnn: dropout must be in [0, 1), got " + dropout);
    }
    if (!first.suffix().equals("_l0")) {
      throw new IllegalArgumentException("StackedRnn: the first layer must be a fresh level-0 layer, got " + first);
    }
    this.directions = bidirectional ? 2 : 1;
    this.dropout = dropout;
    this.dropoutRng = rng.split();
    List<StatefulSequenceLayer> built = new ArrayList<>();
    int width = first.outputSize() * directions;
    for (int k = 0; k < numLayers; k++) {
      RecurrentLayer level = k == 0 ? first : first.sibling(width, "_l" + k, rng);
      built.add(bidirectional ? new Bidirectional(level, Bidirectional.Merge.CONCAT, rng) : level);
    }
    this.levels = List.copyOf(built);
  }

  /**
   * A stream for step-by-step inference over one sequence, level feeding level without dropout;
   * each step allocates nothing. A bidirectional stack cannot stream: its reverse direction needs
   * the rest of the sequence.
   */
  public Stream newStream() {
    if (directions != 1) {
      throw new IllegalStateException(this + ": a bidirectional stack cannot stream; its reverse direction reads the"
          + " sequence from the end");
    }
    RecurrentStream[] streams = new RecurrentStream[levels.size()];
    for (int k = 0; k < streams.length; k++) {
      streams[k] = ((RecurrentLayer) levels.get(k)).newStream();
    }
    return new Stream(streams);
  }

  /** Streams of the levels of a one-direction stack, chained; see {@link #newStream()}. */
  public final class Stream {
    private final RecurrentStream[] streams;

    private Stream(RecurrentStream[] streams) {
      this.streams = streams;
    }

    /** Feeds one input vector and returns the top level's h_t: its own array, valid until the next call. */
    public float[] step(float[] x) {
      float[] h = x;
      for (RecurrentStream stream : streams) {
        h = stream.step(h);
      }
      return h;
    }

    /** Back to the zero state. */
    public void reset() {
      for (RecurrentStream stream : streams) {
        stream.reset();
      }
    }

    /** Sets the state, [L, 1, H] (c too for an LSTM); null means zeros. */
    public void reset(RnnState state) {
      RnnState[] parts = split(state, 1, "stream state");
      for (int k = 0; k < streams.length; k++) {
        streams[k].reset(parts[k]);
      }
    }

    /** A copy of the current state, [L, 1, H]. */
    public RnnState state() {
      List<RnnState> states = new ArrayList<>();
      for (RecurrentStream stream : streams) {
        states.add(stream.state());
      }
      return concat(states);
    }
  }

  /** Restarts the dropout masks' generator from {@code seed}: the next forwards draw the same masks again. */
  public void reseedDropout(long seed) {
    dropoutRng = new Rng(seed);
  }

  public int numLayers() {
    return levels.size();
  }

  public List<StatefulSequenceLayer> levels() {
    return levels;
  }
  @Override
  public Tensor forward(Tensor x, int[] lengths, RnnState initial) {
    return LayerErrors.within(this, () -> checkedForward(x, lengths, initial));
  }

  private Tensor checkedForward(Tensor x, int[] lengths, RnnState initial) {
    RnnState[] init = split(initial, x == null ? 0 : x.dim(0), "initial state");
    masks.clear();
    trainedLevels = 0;
    Tensor h = x;
    for (int k = 0; k < levels.size(); k++) {
      h = levels.get(k).forward(h, lengths, init[k]);
      trainedLevels = k + 1;
      if (k < levels.size() - 1 && dropout > 0f) {
        float keep = 1f - dropout;
        float[] mask = new float[h.size()];
        float[] y = h.data();
        for (int i = 0; i < mask.length; i++) {
          mask[i] = dropoutRng.nextFloat() < keep ? 1f / keep : 0f;
          y[i] *= mask[i];
        }
        masks.add(mask);
      }
    }
    return h;
  }

  /** The inference forward: no dropout, nothing kept, safe on many threads at once while nobody trains. */
  public RecurrentLayer.Result infer(Tensor x, int[] lengths, RnnState initial) {
    return LayerErrors.within(this, () -> checkedInfer(x, lengths, initial));
  }

  private RecurrentLayer.Result checkedInfer(Tensor x, int[] lengths, RnnState initial) {
    RnnState[] init = split(initial, x == null ? 0 : x.dim(0), "initial state");
    Tensor h = x;
    List<RnnState> finals = new ArrayList<>();
    for (int k = 0; k < levels.size(); k++) {
      StatefulSequenceLayer level = levels.get(k);
      RecurrentLayer.Result r = level instanceof Bidirectional bi ? bi.infer(h, lengths, init[k])
          : ((RecurrentLayer) level).infer(h, lengths, init[k]);
      h = r.output();
      finals.add(r.finalState());
    }
    return new RecurrentLayer.Result(h, concat(finals));
  }

  @Override
  public RnnState finalState() {
    if (trainedLevels != levels.size()) {
      throw new IllegalStateException(this + ": finalState() called before forward");
    }
    List<RnnState> finals = new ArrayList<>();
    for (StatefulSequenceLayer level : levels) {
      finals.add(level.finalState());
    }
    return concat(finals);
  }
  @Override
  public Tensor backward(Tensor gradOutput, RnnState gradFinal) {
    return LayerErrors.within(this, () -> checkedBackward(gradOutput, gradFinal));
  }

  private Tensor checkedBackward(Tensor gradOutput, RnnState gradFinal) {
    if (trainedLevels != levels.size()) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    int b = gradOutput == null || gradOutput.rank() < 1 ? 0 : gradOutput.dim(0);
    RnnState[] dFinal = split(gradFinal, b, "final state gradient");
    Tensor g = gradOutput;
    for (int k = levels.size() - 1; k >= 0; k--) {
      if (k < levels.size() - 1 && dropout > 0f) {
        g = g.copy();
        float[] mask = masks.get(k);
        for (int i = 0; i < mask.length; i++) {
          g.data()[i] *= mask[i];
        }
      }
      g = levels.get(k).backward(g, dFinal[k]);
    }
    return g;
  }

  @Override
  public RnnState initialStateGrad() {
    List<RnnState> grads = new ArrayList<>();
    for (StatefulSequenceLayer level : levels) {
      grads.add(level.initialStateGrad());
    }
    return concat(grads);
  }

  /** Splits an [L·D, B, H] state into one [D, B, H] state per level (nulls for a null state). */
  private RnnState[] split(RnnState state, int batch, String what) {
    RnnState[] out = new RnnState[levels.size()];
    if (state == null) {
      return out;
    }
    Tensor[] h = splitTensor(state.h(), batch, what + " h");
    Tensor[] c = splitTensor(state.c(), batch, what + " c");
    for (int k = 0; k < out.length; k++) {
      out[k] = new RnnState(h[k], c[k]);
    }
    return out;
  }

  private Tensor[] splitTensor(Tensor s, int batch, String what) {
    Tensor[] out = new Tensor[levels.size()];
    if (s == null) {
      return out;
    }
    int rows = levels.size() * directions;
    if (s.rank() != 3 || s.dim(0) != rows || s.dim(1) != batch) {
      throw new IllegalArgumentException(this + ": expected " + what + " of shape [" + rows + ", " + batch
          + ", hidden], got " + s.shapeString());
    }
    int per = directions * s.dim(1) * s.dim(2);
    for (int k = 0; k < out.length; k++) {
      out[k] = Tensor.of(Arrays.copyOfRange(s.data(), k * per, (k + 1) * per), directions, s.dim(1), s.dim(2));
    }
    return out;
  }

  /** Concatenates per-level states along the first dimension. */
  private static RnnState concat(List<RnnState> states) {
    return new RnnState(concatTensors(states, true), states.get(0).c() == null ? null : concatTensors(states, false));
  }

  private static Tensor concatTensors(List<RnnState> states, boolean h) {
    int rows = 0;
    int size = 0;
    for (RnnState s : states) {
      Tensor t = h ? s.h() : s.c();
      rows += t.dim(0);
      size += t.size();
    }
    float[] all = new float[size];
    int at = 0;
    Tensor first = h ? states.get(0).h() : states.get(0).c();
    for (RnnState s : states) {
      Tensor t = h ? s.h() : s.c();
      System.arraycopy(t.data(), 0, all, at, t.size());
      at += t.size();
    }
    return Tensor.of(all, rows, first.dim(1), first.dim(2));
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> all = new ArrayList<>();
    for (StatefulSequenceLayer level : levels) {
      all.addAll(level.parameters());
    }
    return all;
  }

  @Override
  public String toString() {
    return "StackedRnn(" + levels.get(0) + ", layers=" + levels.size() + (dropout > 0 ? ", dropout=" + dropout : "")
        + ")";
  }
}
