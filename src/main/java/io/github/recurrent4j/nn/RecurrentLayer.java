package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Gemm;
import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.kernel.PackedRows;
import io.github.recurrent4j.kernel.Parallel;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The machinery every single-layer, one-direction recurrent layer shares: checks, lengths, states,
 * workspaces and the big matrix products of DESIGN.md's performance plan.
 * <pre>
 *   forward:   gates = x · W_ihᵀ + b_ih (+ b_hh)        one GEMM over all B·T rows
 *              for t: gates[:, t] += h_{t-1} · W_hhᵀ     one GEMM per step (or into a side buffer)
 *                     stepForward(t)                     the cell's fused pass over valid rows
 *   backward:  for t = T-1 .. 0: stepBackward(t)         fills dGates[:, t] (and dGatesHh[:, t])
 *                     dh_{t-1} += dGatesHh[:, t] · W_hh   one GEMM per step
 *              dW_ih += dGatesᵀ · x, dW_hh += dGatesHhᵀ · h_prev, dx = dGates · W_ih   after the loop
 * </pre>
 * Shapes: B batch, T steps, I input size, H hidden size, G gates. Every slab is batch-major
 * {@code (B, T, ·)} like the input, so a step is a strided slice that GEMM reads with a leading
 * dimension of {@code T·width}. Rows past their length keep their state and produce zeros; their
 * state gradient passes through unchanged, and they add nothing to any parameter gradient.
 *
 * <p>Training forward and backward are single-threaded per instance: the layer keeps what backward
 * needs in its workspaces.
 */
public abstract class RecurrentLayer implements StatefulSequenceLayer {
  protected final int inputSize;
  protected final int hiddenSize;
  protected final int outputSize; // the width of h and of the output: a projection's size, else hiddenSize
  protected final int gateCount;
  protected final Parameter weightIh; // (G·H, I)
  protected final Parameter weightHh; // (G·H, H)
  protected final Parameter biasIh; // (G·H)
  protected final Parameter biasHh; // (G·H)
  private final String suffix; // of every parameter name: "_l0", "_l1_reverse", "" for a cell

  private Run last; // the last training forward, kept for backward; its slabs are reused for the same shape
  // infer's workspace between calls (never the training Run): taken by one call at a time
  private final AtomicReference<Run> spareInferRun = new AtomicReference<>();
  private float recurrentDropout; // p of the variational dropout on h_{t-1} → W_hh, 0 for none
  private boolean bias = true; // false: both biases held at zero and left out of parameters()
  private Rng dropoutRng; // draws one mask per sequence per training forward
  private RnnState initialGrad; // made from last.dh (and dc) when first asked for after a backward
  private RnnState finalState; // made from last.h (and c) when first asked for after a forward
  private boolean hasForward; // a training forward ran: last.h and c hold its final state
  private boolean hasBackward; // a backward ran since: last.dh and dc hold d(loss)/d(initial state)
  private final TrainingGuard guard = new TrainingGuard();

  /**
   * Everything one forward pass computes and its backward needs. A training forward keeps its Run
   * on the layer (and reuses it while the shape stays the same); {@link #infer} makes a fresh one
   * per call and keeps nothing, so it may run on many threads at once. Cells subclass it for their
   * own slabs.
   */
  protected static class Run {
    final int batch;
    final int steps;
    int[] lengths; // (B) valid steps per row
    Tensor input; // (B, T, I)
    final float[] gates; // (B, T, G·H) pre-activations, then what stepForward saves
    final float[] hPrev; // (B, T, P) h_{t-1} of each step (P = outputSize)
    final float[] h; // (B, P) the running hidden state
    float[] output; // (B, T, P)
    float[] dGates; // (B, T, G·H) d(loss)/d(gate pre-activations), input side; allocated by backward
    float[] dh; // (B, P) d(loss)/d(h_t) flowing backwards; allocated by backward
    float[] mask; // (B, P) recurrent dropout: one mask per sequence, 0 or 1/(1-p); null without dropout
    float[] hIn; // (B, P) h ⊙ mask, what W_hh reads this step, with dropout
    float[] hPrevIn; // (B, T, P) h_{t-1} ⊙ mask of each step, for dW_hh, with dropout
    float[] dhRecurrent; // (B, P) dGatesHh[:, t] · W_hh before the mask, with dropout
    Gemm.PackedB hhForward; // W_hhᵀ packed once per pass for h_{t-1} · W_hhᵀ; null while unused
    Gemm.PackedB hhBackward; // W_hh packed once per backward for dGatesHh[:, t] · W_hh
    float[] foldedBias; // (G·H) b_ih + b_hh, where the gate rows start; null while unused

    protected Run(int batch, int steps, int gateWidth, int stateWidth) {
      this.batch = batch;
      this.steps = steps;
      this.gates = new float[batch * steps * gateWidth];
      this.hPrev = new float[batch * steps * stateWidth];
      this.h = new float[batch * stateWidth];
    }
  }

  /**
   * @param suffix appended to every parameter name, as in PyTorch's state dicts: "_l0" for a layer,
   *     "_l0_reverse" for the reverse direction of a {@link Bidirectional}, "" for a cell
   */
  protected RecurrentLayer(int inputSize, int hiddenSize, int gateCount, String suffix, Rng rng) {
    this(inputSize, hiddenSize, hiddenSize, gateCount, suffix, rng);
  }

  /** As above, with h of width {@code outputSize} (an LSTM's projection) instead of {@code hiddenSize}. */
  protected RecurrentLayer(int inputSize, int hiddenSize, int outputSize, int gateCount, String suffix, Rng rng) {
    if (inputSize <= 0 || hiddenSize <= 0) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": inputSize and hiddenSize must be positive, got "
          + "inputSize=" + inputSize + ", hiddenSize=" + hiddenSize);
    }
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.outputSize = outputSize;
    this.gateCount = gateCount;
    this.suffix = suffix;
    int gh = gateCount * hiddenSize;
    this.weightIh = new Parameter("weight_ih" + suffix, Init.pytorchRnn(Tensor.zeros(gh, inputSize), hiddenSize, rng));
    this.weightHh = new Parameter("weight_hh" + suffix, Init.pytorchRnn(Tensor.zeros(gh, outputSize), hiddenSize, rng));
    this.biasIh = new Parameter("bias_ih" + suffix, Init.pytorchRnn(Tensor.zeros(gh), hiddenSize, rng));
    this.biasHh = new Parameter("bias_hh" + suffix, Init.pytorchRnn(Tensor.zeros(gh), hiddenSize, rng));
  }

  /**
   * Variational recurrent dropout (Gal &amp; Ghahramani 2016, Keras' {@code recurrent_dropout}): in
   * the training forward, h_{t-1} is multiplied by one mask per sequence, drawn once and reused at
   * every step, where it enters W_hh: {@code W_hh (h_{t-1} ⊙ m)}, m in {0, 1/(1-p)}. Inference and
   * streams use no mask. Returns this layer; p = 0 turns it off.
   */
  public RecurrentLayer withRecurrentDropout(double p, Rng rng) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException(this + ": recurrent dropout must be in [0, 1), got " + p);
    }
    if (p > 0 && rng == null) {
      throw new IllegalArgumentException(this + ": recurrent dropout needs an rng");
    }
    checkRecurrentDropout(p);
    recurrentDropout = (float) p;
    dropoutRng = rng;
    return this;
  }

  /**
   * Drops both biases, as PyTorch's {@code bias=False} and Keras' {@code use_bias=False}: they are
   * held at zero, get no gradient and leave {@link #parameters()} and the state dict (which then has
   * PyTorch's keys for {@code bias=False}). {@link StackedRnn} levels and a {@link Bidirectional}'s
   * reverse direction built from this layer have no biases either. Returns this layer.
   */
  public RecurrentLayer withoutBias() {
    bias = false;
    biasIh.value().fill(0f);
    biasHh.value().fill(0f);
    return this;
  }

  /** False after {@link #withoutBias()}. */
  public boolean hasBias() {
    return bias;
  }

  /** A cell that cannot take recurrent dropout says so here. */
  protected void checkRecurrentDropout(double p) {}

  /** The recurrent dropout probability, 0 when off. */
  public double recurrentDropout() {
    return recurrentDropout;
  }

  /** Weight initialisation schemes beyond PyTorch's default. */
  public enum Initializer {
    /** PyTorch's: every weight and bias U(-1/sqrt(H), 1/sqrt(H)). */
    PYTORCH,
    /**
     * Keras': Glorot-uniform input weights, orthogonal recurrent weights (each gate's block, H × P
     * for an LSTM projected to P: orthonormal rows or columns), zero biases.
     */
    GLOROT_ORTHOGONAL,
    /**
     * IRNN (Le et al. 2015): identity recurrent weights (each gate's block; ones on the diagonal of
     * H × P when projected), N(0, 0.001²) input weights, zero biases.
     */
    IDENTITY
  }

  /**
   * Re-initialises the input and recurrent weights and biases (not an LSTM's peepholes or its
   * projection {@code weight_hr}) with {@code scheme}, seeded by {@code rng}, and returns this
   * layer. Options that set biases (an LSTM's unit forget bias) are applied again afterwards, and a
   * layer {@linkplain #withoutBias() without biases} keeps them at zero.
   */
  public RecurrentLayer initialize(Initializer scheme, Rng rng) {
    if (scheme == null || rng == null) {
      throw new IllegalArgumentException(this + ": initializer and rng must not be null");
    }
    int h = hiddenSize;
    switch (scheme) {
      case PYTORCH -> {
        for (Parameter p : List.of(weightIh, weightHh, biasIh, biasHh)) {
          Init.pytorchRnn(p.value(), h, rng);
        }
      }
      case GLOROT_ORTHOGONAL -> {
        Init.glorotUniform(weightIh.value(), rng);
        for (int g = 0; g < gateCount; g++) {
          Tensor block = Init.orthogonal(Tensor.zeros(h, outputSize), 1.0, rng);
          System.arraycopy(block.data(), 0, weightHh.value().data(), g * h * outputSize, h * outputSize);
        }
        biasIh.value().fill(0f);
        biasHh.value().fill(0f);
      }
      case IDENTITY -> {
        Init.normal(weightIh.value(), 0, 0.001, rng);
        Tensor eye = Init.identity(Tensor.zeros(h, outputSize));
        for (int g = 0; g < gateCount; g++) {
          System.arraycopy(eye.data(), 0, weightHh.value().data(), g * h * outputSize, h * outputSize);
        }
        biasIh.value().fill(0f);
        biasHh.value().fill(0f);
      }
    }
    afterInitialize();
    if (!bias) {
      withoutBias();
    }
    return this;
  }

  /** Re-applies option-driven initial values after {@link #initialize}. */
  protected void afterInitialize() {}

  public int inputSize() {
    return inputSize;
  }

  public int hiddenSize() {
    return hiddenSize;
  }

  /** The width of h and of the output: the projection size of a projected LSTM, else {@link #hiddenSize()}. */
  public int outputSize() {
    return outputSize;
  }

  public Parameter weightIh() {
    return weightIh;
  }

  public Parameter weightHh() {
    return weightHh;
  }

  public Parameter biasIh() {
    return biasIh;
  }

  public Parameter biasHh() {
    return biasHh;
  }

  @Override
  public List<Parameter> parameters() {
    return bias ? List.of(weightIh, weightHh, biasIh, biasHh) : List.of(weightIh, weightHh);
  }

  /** The recurrent dropout mask of the last training forward, (B, P), or null: for tests. */
  float[] lastMask() {
    return last == null || last.mask == null ? null : last.mask.clone();
  }

  /** The suffix of every parameter name, e.g. {@code "_l0"}. */
  String suffix() {
    return suffix;
  }

  /** A new layer of the same kind and options for another input size, its parameter names ending in {@code suffix}. */
  protected abstract RecurrentLayer withInput(int inputSize, String suffix, Rng rng);

  /**
   * {@link #withInput}, carrying over what was set on this layer after its construction: no biases,
   * and recurrent dropout (with its own split of this layer's generator). Builds a stack's levels.
   */
  final RecurrentLayer sibling(int inputSize, String suffix, Rng rng) {
    RecurrentLayer sibling = withInput(inputSize, suffix, rng);
    if (!bias) {
      sibling.withoutBias();
    }
    if (recurrentDropout > 0f) {
      sibling.withRecurrentDropout(recurrentDropout, dropoutRng.split());
    }
    return sibling;
  }

  /**
   * A new layer of the same kind and configuration with fresh weights, its parameter names ending in
   * {@code suffix}: the reverse direction of a {@link Bidirectional}.
   */
  protected RecurrentLayer twin(String suffix, Rng rng) {
    return sibling(inputSize, suffix, rng);
  }

  /** True when this layer keeps a cell state {@code c} (LSTM). */
  protected boolean hasCell() {
    return false;
  }

  /** True when {@code b_hh} is added to the gates with {@code b_ih} before the recurrent product. */
  protected boolean foldsHiddenBias() {
    return true;
  }

  /** A Run with the cell's own slabs for this batch and number of steps. */
  protected Run newRun(int batch, int steps) {
    return new Run(batch, steps, gateCount * hiddenSize, outputSize);
  }

  /** Allocates what the cell's backward needs beyond dGates and dh; called once per Run. */
  protected void allocateBackward(Run r) {}

  /** Sets the cell state from the initial state (LSTM); {@code c0} is {@code [1, B, H]} or null for zeros. */
  protected void startCell(Run r, Tensor c0) {}

  /**
   * Adds {@code h_{t-1} · W_hhᵀ} for step t: by default into {@code gates[:, t]}; a cell that
   * needs the recurrent product apart (GRU) overrides this.
   */
  protected void recurrentProduct(Run r, int t) {
    int gh = gateCount * hiddenSize;
    addHiddenProduct(r, r.gates, t * gh, r.steps * gh);
  }

  /**
   * {@code out[b, :] += h[b, :] · W_hhᵀ} for every row b, rows {@code ldOut} apart. One row (a
   * stream) calls the dot-product kernel directly: the same arithmetic as GEMM's few-rows path,
   * without its dispatch, threads or any allocation.
   */
  protected void addHiddenProduct(Run r, float[] out, int outOff, int ldOut) {
    int gh = gateCount * hiddenSize;
    float[] h = r.mask == null ? r.h : r.hIn;
    if (r.batch == 1) {
      Kernels.active().rowDotRows(outputSize, gh, 1f, h, 0, weightHh.array(), 0, outputSize, out, outOff);
    } else if (r.hhForward != null) {
      Gemm.gemm(r.batch, 1f, h, 0, outputSize, r.hhForward, 1f, out, outOff, ldOut);
    } else {
      Gemm.gemm(false, true, r.batch, gh, outputSize, 1f, h, 0, outputSize, weightHh.array(), 0, outputSize,
          1f, out, outOff, ldOut);
    }
  }

  /** The cell's fused pass for step t over rows with {@code t < lengths[b]}: updates h, writes output. */
  protected abstract void stepForward(Run r, int t);

  /**
   * The cell's backward for step t. On entry {@code dh} holds d(loss)/d(h_t) for every row; the
   * method fills {@code dGates[:, t]} (and its own recurrent-side gradients) for valid rows, zero
   * for the others, and leaves in {@code dh} the part of d(loss)/d(h_{t-1}) that does not go
   * through W_hh (its direct terms, or all of dh_t for a row past its length).
   */
  protected abstract void stepBackward(Run r, int t);

  /** The gradient slab that multiplies W_hh in backward (the same as dGates unless a cell splits them). */
  protected float[] dGatesHh(Run r) {
    return r.dGates;
  }

  /** Adds the cell's own parameter gradients after the backward time loop (GRU with reset before). */
  protected void finishBackward(Run r) {}

  /** The cell state gradient to hand back as d(loss)/d(c0), or null. */
  protected Tensor cellInitialGrad(Run r) {
    return null;
  }

  /** Sets the cell's final-state gradient (LSTM) before the backward loop; {@code dcn} may be null. */
  protected void startCellGrad(Run r, Tensor dcn) {}

  /** The final cell state {@code [1, B, H]} (LSTM). */
  protected Tensor cellFinal(Run r) {
    return null;
  }

  /**
   * The training forward from an initial state ({@code null} or null components mean zeros):
   * {@code [B, T, I] -> [B, T, H]}. The final state is then {@link #finalState()}.
   */
  @Override
  public Tensor forward(Tensor x, int[] lengths, RnnState initial) {
    return guard.call(this, "forward", () -> trainingForward(x, lengths, initial, null, false));
  }

  /**
   * As {@link #forward(Tensor, int[], RnnState)}, but writes the output into {@code out}
   * ({@code [B, T, outputSize()]}, every element overwritten) and returns it, like PyTorch's
   * {@code out=}. A training loop that passes the same tensor at every step makes no garbage for
   * its output. {@code out} must not share its array with {@code x}, which backward still reads.
   */
  public Tensor forward(Tensor x, int[] lengths, RnnState initial, Tensor out) {
    return guard.call(this, "forward", () -> trainingForward(x, lengths, initial, out, true));
  }

  /** The training forward: into {@code out} (checked here) when {@code into}, else into the Run's own array. */
  private Tensor trainingForward(Tensor x, int[] lengths, RnnState initial, Tensor out, boolean into) {
    checkInput(x);
    int b = x.dim(0);
    int t = x.dim(1);
    if (into) {
      checkInto(out, "out", b, t, outputSize);
      if (out.data() == x.data()) {
        throw new IllegalArgumentException(this + ": out must not share its array with the input x");
      }
    }
    int[] lens = checkLengths(lengths, b, t);
    checkState(initial, b, "initial state");
    if (last == null || last.batch != b || last.steps != t) {
      last = newRun(b, t);
    }
    drawMask(last);
    run(last, x, lens, initial, out == null ? new float[b * t * outputSize] : out.data());
    finalState = null; // made from last.h (and c) when asked for: they stay until the next forward
    hasForward = true;
    initialGrad = null;
    hasBackward = false;
    return out == null ? Tensor.of(last.output, b, t, outputSize) : out;
  }

  /** Checks a caller's tensor to write into: not null, of shape [b, t, width]. */
  private void checkInto(Tensor into, String name, int b, int t, int width) {
    if (into == null || !into.hasShape(b, t, width)) {
      throw new IllegalArgumentException(this + ": expected " + name + " of shape [" + b + ", " + t + ", " + width
          + "], got " + (into == null ? "null" : into.shapeString()));
    }
  }

  /** What {@link #infer} returns: the output sequence and the final state. */
  public record Result(Tensor output, RnnState finalState) {}

  /**
   * The inference forward: the same numbers as {@link #forward(Tensor, int[], RnnState)}, but it
   * keeps nothing for backward and changes nothing on the layer but a scratch workspace that one
   * call at a time takes for itself, so any number of threads may call it on the same layer at
   * once (while nobody trains it).
   */
  public Result infer(Tensor x, int[] lengths, RnnState initial) {
    checkInput(x);
    int b = x.dim(0);
    int t = x.dim(1);
    int[] lens = checkLengths(lengths, b, t);
    checkState(initial, b, "initial state");
    // One workspace is kept between calls: a call takes it (another thread meanwhile makes its own)
    // and puts it back. Every slab a pass reads is written by that pass first, so nothing carries over.
    Run r = spareInferRun.getAndSet(null);
    if (r == null || r.batch != b || r.steps != t) {
      r = newRun(b, t);
    }
    float[] output = new float[b * t * outputSize];
    run(r, x, lens, initial, output);
    Result result = new Result(Tensor.of(output, b, t, outputSize),
        new RnnState(Tensor.of(r.h.clone(), 1, b, outputSize), cellFinal(r)));
    r.input = null; // keep no caller's tensor
    r.output = null;
    spareInferRun.set(r);
    return result;
  }

  /**
   * A stream for step-by-step inference over one sequence (batch 1), starting from zeros. Each
   * {@link RecurrentStream#step} allocates nothing. Use one stream per sequence and per thread; any
   * number of streams may run over the same layer at once while nobody trains it.
   */
  public RecurrentStream newStream() {
    return new RecurrentStream(this, newRun(1, 1));
  }

  /**
   * What a stream step of a cell that folds b_hh ({@link #packsStreamWeights}) reads: W_ih and W_hh
   * packed side by side by {@link Kernels#packRowsByColumn}, and b_ih + b_hh, with the
   * {@link Tensor#version() versions} of the four tensors they were made from. Immutable, and
   * shared by all the layer's streams; made again when any of the versions moves, and copied when
   * a collector has moved the packed weights off the start of a cache line.
   */
  static final class StreamWeights {
    final PackedRows packed; // rows of [W_ih W_hh], by column in blocks of Kernels.COLUMN_BLOCK
    final float[] bias; // (G·H) b_ih + b_hh
    final int blocks;
    private final long ih; // the versions of W_ih, W_hh, b_ih and b_hh they were made from
    private final long hh;
    private final long bi;
    private final long bh;

    StreamWeights(PackedRows packed, float[] bias, int blocks, long ih, long hh, long bi, long bh) {
      this.packed = packed;
      this.bias = bias;
      this.blocks = blocks;
      this.ih = ih;
      this.hh = hh;
      this.bi = bi;
      this.bh = bh;
    }
  }

  private volatile StreamWeights streamWeights; // made by the first stream step, then when the weights change

  /**
   * Whether a stream step of this cell is {@link #streamBlocks} then the cell (its gates are one
   * slab after both products).
   */
  boolean packsStreamWeights() {
    return foldsHiddenBias()
        && (long) Kernels.columnBlocks(gateCount * hiddenSize) * Kernels.COLUMN_BLOCK * (inputSize + outputSize)
            <= Integer.MAX_VALUE - 8; // else packRowsByColumn could not hold it
  }

  /** {@code into[j] = b_ih[j] + b_hh[j]} for the G·H gate rows; returns {@code into}. */
  private float[] foldedBias(float[] into) {
    float[] biasI = biasIh.array();
    float[] biasH = biasHh.array();
    for (int j = 0; j < into.length; j++) {
      into[j] = biasI[j] + biasH[j];
    }
    return into;
  }

  /**
   * The stream weights of the current parameter values: the shared ones, new ones if a parameter
   * has changed, or a copy if the packed weights no longer start a cache line.
   */
  StreamWeights streamWeights() {
    long ih = weightIh.value().version();
    long hh = weightHh.value().version();
    long bi = biasIh.value().version();
    long bh = biasHh.value().version();
    StreamWeights w = streamWeights;
    if (w == null || w.ih != ih || w.hh != hh || w.bi != bi || w.bh != bh) {
      int gh = gateCount * hiddenSize;
      PackedRows packed = Kernels.packRowsByColumn(gh, inputSize, weightIh.array(), inputSize, outputSize,
          weightHh.array(), outputSize);
      w = new StreamWeights(packed, foldedBias(new float[gh]), Kernels.columnBlocks(gh), ih, hh, bi, bh);
      streamWeights = w;
    } else if (!w.packed.onLine()) {
      w = new StreamWeights(w.packed.moved(), w.bias, w.blocks, ih, hh, bi, bh);
      streamWeights = w;
    }
    return w;
  }

  /**
   * The gate rows of the blocks {@code [from, to)} of a stream step: {@code (b_ih + b_hh) + [W_ih W_hh]·z}
   * with {@code z = [x h_{t-1}]}, the products through {@code sums} (one per packed row).
   * {@code reverse} walks the blocks backwards, with the same bits.
   */
  void streamBlocks(Run r, StreamWeights w, float[] z, float[] sums, int from, int to, boolean reverse) {
    Kernels.active().packedRowDots(inputSize + outputSize, z, w.packed.data, w.packed.start, from, to, reverse, sums);
    int end = Math.min(to * Kernels.COLUMN_BLOCK, gateCount * hiddenSize);
    for (int j = from * Kernels.COLUMN_BLOCK; j < end; j++) {
      r.gates[j] = w.bias[j] + sums[j];
    }
  }

  /**
   * One step of a stream of a cell that does not {@link #packsStreamWeights pack its weights}: {@code r}
   * is a (1, 1) Run whose state is the stream's.
   */
  void streamStep(Run r, float[] x) {
    int gh = gateCount * hiddenSize;
    System.arraycopy(r.h, 0, r.hPrev, 0, outputSize); // h_{t-1}, which the cell reads; the products read r.h
    System.arraycopy(biasIh.array(), 0, r.gates, 0, gh);
    // gates += W_ih · x, then the cell's own recurrent product
    Kernels.active().rowDotRows(inputSize, gh, 1f, x, 0, weightIh.array(), 0, inputSize, r.gates, 0);
    recurrentProduct(r, 0);
    stepForward(r, 0);
  }

  /** Draws the run's recurrent dropout mask, one per sequence, or clears it without dropout. */
  private void drawMask(Run r) {
    if (recurrentDropout == 0f) {
      r.mask = null;
      return;
    }
    int n = r.batch * outputSize;
    if (r.hIn == null || r.hIn.length != n) {
      r.hIn = new float[n];
      r.hPrevIn = new float[r.batch * r.steps * outputSize];
      r.dhRecurrent = new float[n];
    }
    float keep = 1f - recurrentDropout;
    float scale = 1f / keep;
    r.mask = new float[n];
    for (int i = 0; i < n; i++) {
      r.mask[i] = dropoutRng.nextFloat() < keep ? scale : 0f;
    }
  }

  /**
   * The forward pass into {@code r}, its output into {@code output} ([B, T, P]); x, lengths and state
   * already checked.
   */
  void run(Run r, Tensor x, int[] lens, RnnState initial, float[] output) {
    int b = r.batch;
    int t = r.steps;
    r.lengths = lens;
    r.input = x;
    r.output = output;
    for (int row = 0; row < b; row++) { // the steps stepForward skips: padding, zero
      Arrays.fill(output, (row * t + lens[row]) * outputSize, (row + 1) * t * outputSize, 0f);
    }
    if (initial != null && initial.h() != null) {
      System.arraycopy(initial.h().data(), 0, r.h, 0, r.h.length);
    } else {
      Arrays.fill(r.h, 0f);
    }
    startCell(r, initial == null ? null : initial.c());
    int gh = gateCount * hiddenSize;
    // Many steps of more than a few rows: pack W_hhᵀ once instead of at every step (the same bits).
    r.hhForward = usePacked(r) ? Gemm.pack(true, outputSize, gh, weightHh.array(), 0, outputSize,
        r.hhForward) : null;
    // gates = (b_ih (+ b_hh)) + x · W_ihᵀ, all steps at once, the bias written into each block of
    // the gate rows just before the product is added to it
    float[] bias = biasIh.array();
    if (foldsHiddenBias()) {
      bias = r.foldedBias = foldedBias(r.foldedBias != null ? r.foldedBias : new float[gh]);
    }
    Gemm.gemmWithBias(false, true, b * t, gh, inputSize, 1f, x.data(), 0, inputSize, weightIh.array(), 0, inputSize,
        bias, 0, r.gates, 0, gh);
    for (int step = 0; step < t; step++) {
      for (int row = 0; row < b; row++) {
        System.arraycopy(r.h, row * outputSize, r.hPrev, (row * t + step) * outputSize, outputSize);
      }
      if (r.mask != null) {
        for (int i = 0; i < r.hIn.length; i++) {
          r.hIn[i] = r.h[i] * r.mask[i];
        }
        for (int row = 0; row < b; row++) {
          System.arraycopy(r.hIn, row * outputSize, r.hPrevIn, (row * t + step) * outputSize, outputSize);
        }
      }
      if (b > 0) {
        recurrentProduct(r, step);
      }
      stepForward(r, step);
    }
  }

  @Override
  public RnnState finalState() {
    if (!hasForward) {
      throw new IllegalStateException(this + ": finalState() called before forward");
    }
    if (finalState == null) {
      finalState = new RnnState(Tensor.of(last.h.clone(), 1, last.batch, outputSize), cellFinal(last));
    }
    return finalState;
  }

  /**
   * Backpropagation through time from the gradients of the output and of the final state
   * ({@code null} or null components mean zeros). Adds into every parameter's gradient and returns
   * d(loss)/d(input); d(loss)/d(initial state) is then {@link #initialStateGrad()}.
   */
  @Override
  public Tensor backward(Tensor gradOutput, RnnState gradFinal) {
    return trainingBackward(gradOutput, gradFinal, null);
  }

  /**
   * As {@link #backward(Tensor, RnnState)}, but writes d(loss)/d(input) into {@code dxOut}
   * ({@code [B, T, inputSize()]}, every element overwritten) and returns it, like PyTorch's
   * {@code out=}. {@code dxOut} must not share its array with the forward's input or with
   * {@code gradOutput}.
   */
  public Tensor backward(Tensor gradOutput, RnnState gradFinal, Tensor dxOut) {
    if (dxOut == null) {
      throw new IllegalArgumentException(this + ": dxOut is null (use backward(gradOutput, gradFinal) for a new tensor)");
    }
    return trainingBackward(gradOutput, gradFinal, dxOut);
  }

  private Tensor trainingBackward(Tensor gradOutput, RnnState gradFinal, Tensor dxOut) {
    return guard.call(this, "backward", () -> {
      if (last == null || last.input == null) {
        throw new IllegalStateException(this + ": backward called before forward");
      }
      if (dxOut != null) {
        checkInto(dxOut, "dxOut", last.batch, last.steps, inputSize);
        if (dxOut.data() == last.input.data() || (gradOutput != null && dxOut.data() == gradOutput.data())) {
          throw new IllegalArgumentException(this + ": dxOut must not share its array with the forward's input or "
              + "with gradOutput");
        }
      }
      Tensor dx = backward(last, gradOutput, gradFinal, dxOut);
      initialGrad = null; // made from last.dh (and dc) when asked for: they stay until the next backward
      hasBackward = true;
      return dx;
    });
  }

  /** Whether a pass over {@code r} packs W_hh once: more than a few rows (else GEMM streams) and more than one step. */
  private static boolean usePacked(Run r) {
    return r.batch > Gemm.SMALL_M && r.steps > 1;
  }

  /** {@code out = dGatesHh[:, t] · W_hh + beta · out}: (B, G·H) × (G·H, P), rows of dGatesHh {@code ld} apart. */
  private void hiddenProductBackward(Run r, float[] dGh, int off, int ld, float beta, float[] out) {
    int gh = gateCount * hiddenSize;
    if (r.hhBackward != null) {
      Gemm.gemm(r.batch, 1f, dGh, off, ld, r.hhBackward, beta, out, 0, outputSize);
    } else {
      Gemm.gemm(false, false, r.batch, outputSize, gh, 1f, dGh, off, ld, weightHh.array(), 0, outputSize, beta,
          out, 0, outputSize);
    }
  }

  /** The thread inside forward or backward, if any (for tests of the guard). */
  Thread trainingThread() {
    return guard.inside();
  }

  /**
   * Backpropagation through the forward pass recorded in {@code r}; leaves d(loss)/d(h0) in {@code r.dh}.
   * Writes d(loss)/d(input) into {@code dx} (checked by the caller), or a new tensor when it is null.
   */
  protected Tensor backward(Run r, Tensor gradOutput, RnnState gradFinal, Tensor dx) {
    int b = r.batch;
    int t = r.steps;
    int gh = gateCount * hiddenSize;
    if (gradOutput == null || !gradOutput.hasShape(b, t, outputSize)) {
      throw new IllegalArgumentException(this + ": expected gradOutput of shape [" + b + ", " + t + ", " + outputSize
          + "], got " + (gradOutput == null ? "null" : gradOutput.shapeString()));
    }
    checkState(gradFinal, b, "final state gradient");
    if (r.dGates == null) {
      r.dGates = new float[b * t * gh];
      r.dh = new float[b * outputSize];
      allocateBackward(r);
    }
    float[] dh = r.dh;
    if (gradFinal != null && gradFinal.h() != null) {
      System.arraycopy(gradFinal.h().data(), 0, dh, 0, dh.length);
    } else {
      Arrays.fill(dh, 0f);
    }
    startCellGrad(r, gradFinal == null ? null : gradFinal.c());
    float[] dy = gradOutput.data();
    float[] dGh = dGatesHh(r);
    r.hhBackward = usePacked(r) ? Gemm.pack(false, gh, outputSize, weightHh.array(), 0, outputSize,
        r.hhBackward) : null;
    for (int step = t - 1; step >= 0; step--) {
      // dh += dy[:, t] for valid rows (padded outputs are constant zeros)
      for (int row = 0; row < b; row++) {
        if (step < r.lengths[row]) {
          int at = (row * t + step) * outputSize;
          for (int j = 0; j < outputSize; j++) {
            dh[row * outputSize + j] += dy[at + j];
          }
        }
      }
      stepBackward(r, step);
      // dh_{t-1} += dGatesHh[:, t] · W_hh (⊙ the dropout mask)
      if (b > 0 && r.mask == null) {
        hiddenProductBackward(r, dGh, step * gh, t * gh, 1f, dh);
      } else if (b > 0) {
        hiddenProductBackward(r, dGh, step * gh, t * gh, 0f, r.dhRecurrent);
        for (int i = 0; i < dh.length; i++) {
          dh[i] += r.dhRecurrent[i] * r.mask[i];
        }
      }
    }
    if (dx == null) {
      dx = Tensor.zeros(b, t, inputSize);
    }
    if (b * t > 0) {
      // dW_ih += dGatesᵀ · x ; dW_hh += dGatesHhᵀ · h_prev ; dx = dGates · W_ih
      Gemm.gemm(true, false, gh, inputSize, b * t, 1f, r.dGates, 0, gh, r.input.data(), 0, inputSize, 1f,
          weightIh.grad().data(), 0, inputSize);
      float[] hSeen = r.mask == null ? r.hPrev : r.hPrevIn; // what W_hh read: h_{t-1}, masked with dropout
      Gemm.gemm(true, false, gh, outputSize, b * t, 1f, dGh, 0, gh, hSeen, 0, outputSize, 1f,
          weightHh.grad().data(), 0, outputSize);
      Gemm.gemm(false, false, b * t, inputSize, gh, 1f, r.dGates, 0, gh, weightIh.array(), 0, inputSize, 0f,
          dx.data(), 0, inputSize);
    }
    if (bias && dGh == r.dGates) { // b_ih and b_hh get the same gradient: sum the columns once, add to both
      columnSums(r.dGates, 0, gh, b * t, gh, biasIh.grad().data(), 0, biasHh.grad().data());
    } else if (bias) {
      columnSums(r.dGates, b * t, gh, biasIh.grad().data());
      columnSums(dGh, b * t, gh, biasHh.grad().data());
    }
    finishBackward(r);
    return dx;
  }

  @Override
  public RnnState initialStateGrad() {
    if (!hasBackward) {
      throw new IllegalStateException(this + ": initialStateGrad() called before backward");
    }
    if (initialGrad == null) {
      initialGrad = new RnnState(Tensor.of(last.dh.clone(), 1, last.batch, outputSize), cellInitialGrad(last));
    }
    return initialGrad;
  }

  /** Each thread's scratch for {@link #columnSums}, grown when needed. */
  private static final ThreadLocal<double[]> COLUMN_SUMS = ThreadLocal.withInitial(() -> new double[0]);

  /** out[j] += Σ_rows x[row, j], summed in double. */
  static void columnSums(float[] x, int rows, int cols, float[] out) {
    columnSums(x, rows, cols, out, 0);
  }

  /** out[outOff + j] += Σ_rows x[row, j], summed in double. */
  static void columnSums(float[] x, int rows, int cols, float[] out, int outOff) {
    columnSums(x, 0, cols, rows, cols, out, outOff, null);
  }

  /** From this many elements columnSums splits its columns across threads (below, one thread is as fast). */
  private static final int COLUMN_SUMS_PARALLEL = 1 << 20;

  /**
   * out[outOff + j] += Σ_rows x[xOff + row·ldx + j] for j < cols, summed in double; the same sums
   * are added to {@code out2[outOff + j]} too unless it is null. Large ones split their columns
   * across threads; each column is summed the same way whatever the split.
   */
  static void columnSums(float[] x, int xOff, int ldx, int rows, int cols, float[] out, int outOff, float[] out2) {
    int tasks = (long) rows * cols < COLUMN_SUMS_PARALLEL ? 1 : Math.min(Parallel.tasksAvailable(), cols / 16);
    if (tasks <= 1) {
      columnSums(x, xOff, ldx, rows, 0, cols, out, outOff, out2);
      return;
    }
    int units = cols / 16; // whole chunks of 16 columns, the last task takes the rest
    Parallel.run(tasks, task -> columnSums(x, xOff, ldx, rows, 16 * (units * task / tasks),
        task == tasks - 1 ? cols : 16 * (units * (task + 1) / tasks), out, outOff, out2));
  }

  /** {@link #columnSums} for the columns {@code [j0, j1)}. */
  private static void columnSums(float[] x, int xOff, int ldx, int rows, int j0, int j1, float[] out, int outOff,
      float[] out2) {
    int cols = j1 - j0;
    double[] sums = COLUMN_SUMS.get();
    if (sums.length < cols) {
      sums = new double[cols];
      COLUMN_SUMS.set(sums);
    } else {
      Arrays.fill(sums, 0, cols, 0.0);
    }
    Kernels.active().addColumns(x, xOff + j0, ldx, rows, cols, sums);
    for (int j = 0; j < cols; j++) {
      out[outOff + j0 + j] += (float) sums[j];
    }
    if (out2 != null) {
      for (int j = 0; j < cols; j++) {
        out2[outOff + j0 + j] += (float) sums[j];
      }
    }
  }

  void checkInput(Tensor x) {
    if (x == null) {
      throw new IllegalArgumentException(this + ": input is null");
    }
    if (x.rank() != 3 || x.dim(2) != inputSize) {
      throw new IllegalArgumentException(this + ": expected input [batch, time, " + inputSize + "], got "
          + x.shapeString());
    }
  }

  private int[] checkLengths(int[] lens, int b, int t) {
    return SequenceLengths.check(this, lens, b, t);
  }


  void checkState(RnnState state, int b, String what) {
    if (state == null) {
      return;
    }
    checkStateTensor(state.h(), b, outputSize, what + " h");
    if (state.c() != null && !hasCell()) {
      throw new IllegalArgumentException(this + ": " + what + " has a cell state c, but this layer has none");
    }
    checkStateTensor(state.c(), b, hiddenSize, what + " c");
  }

  private void checkStateTensor(Tensor s, int b, int width, String what) {
    if (s != null && !s.hasShape(1, b, width)) {
      throw new IllegalArgumentException(this + ": expected " + what + " of shape [1, " + b + ", " + width
          + "], got " + s.shapeString());
    }
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(input=" + inputSize + ", hidden=" + hiddenSize + (bias ? "" : ", bias=false")
        + ")";
  }
}
