package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Gemm;
import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.tensor.Init;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Long short-term memory, as {@code torch.nn.LSTM(batch_first=True)} (one layer, one direction).
 * Weights are stacked in PyTorch's gate order i, f, g, o:
 * <pre>
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)      c_t = f ⊙ c_{t-1} + i ⊙ g
 *   f = σ(W_if x + b_if + W_hf h + b_hf)      h_t = o ⊙ tanh(c_t)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg)
 *   o = σ(W_io x + b_io + W_ho h + b_ho)
 * </pre>
 * Shapes: x (B, T, I), output (B, T, H), h and c states (1, B, H); {@code weight_ih_l0} (4H, I),
 * {@code weight_hh_l0} (4H, H), {@code bias_ih_l0} and {@code bias_hh_l0} (4H).
 *
 * <p>{@link Options} adds Keras' {@code activation} (the tanh of g and of c_t, or identity),
 * {@code unit_forget_bias} (forget-gate biases start at 1, as b_ih 1 and b_hh 0) and peephole
 * connections (Gers &amp; Schmidhuber 2000), which let the gates see the cell:
 * <pre>
 *   i = σ(... + p_i ⊙ c_{t-1})    f = σ(... + p_f ⊙ c_{t-1})    o = σ(... + p_o ⊙ c_t)
 * </pre>
 * with {@code weight_ci_l0}, {@code weight_cf_l0}, {@code weight_co_l0} (H each) for p_i, p_f, p_o.
 */
public final class Lstm extends RecurrentLayer {
  /** The activation of the cell input g and of c_t in h_t, Keras' {@code activation}. */
  public enum Activation { TANH, IDENTITY }

  /**
   * Options beyond PyTorch's defaults.
   *
   * @param activation of g and of c_t in h_t; tanh as in PyTorch, or identity
   * @param unitForgetBias start the forget gate's bias at 1 (Keras' {@code unit_forget_bias})
   * @param peepholes let the gates see the cell state
   * @param projectionSize PyTorch's {@code proj_size}: h_t = W_hr (o ⊙ tanh(c_t)) of this size; 0 for none
   */
  public record Options(Activation activation, boolean unitForgetBias, boolean peepholes, int projectionSize) {
    public Options {
      if (activation == null) {
        throw new IllegalArgumentException("Lstm.Options: activation must not be null");
      }
      if (projectionSize < 0) {
        throw new IllegalArgumentException("Lstm.Options: projectionSize must be >= 0 (0 for none), got "
            + projectionSize);
      }
    }

    /** PyTorch's LSTM: tanh, forget bias drawn like every other bias. */
    public static Options defaults() {
      return new Options(Activation.TANH, false, false, 0);
    }

    public Options withActivation(Activation value) {
      return new Options(value, unitForgetBias, peepholes, projectionSize);
    }

    public Options withUnitForgetBias(boolean value) {
      return new Options(activation, value, peepholes, projectionSize);
    }

    public Options withPeepholes(boolean value) {
      return new Options(activation, unitForgetBias, value, projectionSize);
    }

    public Options withProjection(int size) {
      return new Options(activation, unitForgetBias, peepholes, size);
    }
  }

  private final Options options;
  private final Parameter peepI; // (H) p_i, or null without peepholes
  private final Parameter peepF; // (H) p_f
  private final Parameter peepO; // (H) p_o
  private final Parameter weightHr; // (P, H) the projection, or null without one

  /** The LSTM's slabs beside the shared ones. */
  private static final class LstmRun extends Run {
    final float[] c; // (B, H) the running cell state
    final float[] cPrev; // (B, T, H) c_{t-1} of each step
    final float[] tanhC; // (B, T, H) act(c_t) of each step: tanh(c_t), or c_t with identity
    float[] dc; // (B, H) d(loss)/d(c_t) flowing backwards
    final float[] m; // (B, T, H) o ⊙ act(c_t), the projection's input; empty without projection
    final float[] projected; // (B, P) m_t · W_hrᵀ of one step; empty without projection
    float[] dM; // (B, H) d(loss)/d(m_t) of one step, with projection
    float[] dHs; // (B, T, P) d(loss)/d(h_t) of each step, for dW_hr, with projection

    LstmRun(int batch, int steps, int hiddenSize, int outputSize, boolean projected) {
      super(batch, steps, 4 * hiddenSize, outputSize);
      c = new float[batch * hiddenSize];
      cPrev = new float[batch * steps * hiddenSize];
      tanhC = new float[batch * steps * hiddenSize];
      m = new float[projected ? batch * steps * hiddenSize : 0];
      this.projected = new float[projected ? batch * outputSize : 0];
    }
  }

  /** Initialised from the default generator (see {@link Rng#manualSeed}). */
  public Lstm(int inputSize, int hiddenSize) {
    this(inputSize, hiddenSize, Rng.fromDefault());
  }

  public Lstm(int inputSize, int hiddenSize, Rng rng) {
    this(inputSize, hiddenSize, Options.defaults(), rng);
  }

  public Lstm(int inputSize, int hiddenSize, Options options, Rng rng) {
    this(inputSize, hiddenSize, options, "_l0", rng);
  }

  Lstm(int inputSize, int hiddenSize, Options options, String suffix, Rng rng) {
    super(inputSize, hiddenSize, outputSizeOf(hiddenSize, options), 4, suffix, rng);
    this.options = options;
    weightHr = options.projectionSize() > 0 ? new Parameter("weight_hr" + suffix,
        Init.pytorchRnn(Tensor.zeros(options.projectionSize(), hiddenSize), hiddenSize, rng)) : null;
    if (options.peepholes()) {
      peepI = new Parameter("weight_ci" + suffix, Init.pytorchRnn(Tensor.zeros(hiddenSize), hiddenSize, rng));
      peepF = new Parameter("weight_cf" + suffix, Init.pytorchRnn(Tensor.zeros(hiddenSize), hiddenSize, rng));
      peepO = new Parameter("weight_co" + suffix, Init.pytorchRnn(Tensor.zeros(hiddenSize), hiddenSize, rng));
    } else {
      peepI = null;
      peepF = null;
      peepO = null;
    }
    afterInitialize();
  }

  @Override
  protected void afterInitialize() {
    if (options.unitForgetBias()) {
      Arrays.fill(biasIh.value().data(), hiddenSize, 2 * hiddenSize, 1f);
      Arrays.fill(biasHh.value().data(), hiddenSize, 2 * hiddenSize, 0f);
    }
  }

  private static int outputSizeOf(int hiddenSize, Options options) {
    if (options == null) {
      throw new IllegalArgumentException("Lstm: options must not be null");
    }
    if (options.projectionSize() >= hiddenSize) {
      throw new IllegalArgumentException("Lstm: projectionSize must be smaller than hiddenSize (" + hiddenSize
          + "), got " + options.projectionSize());
    }
    return options.projectionSize() > 0 ? options.projectionSize() : hiddenSize;
  }

  public Options options() {
    return options;
  }

  @Override
  public List<Parameter> parameters() {
    if (!options.peepholes() && weightHr == null) {
      return super.parameters();
    }
    List<Parameter> all = new ArrayList<>(super.parameters());
    if (options.peepholes()) {
      all.addAll(List.of(peepI, peepF, peepO));
    }
    if (weightHr != null) {
      all.add(weightHr);
    }
    return all;
  }

  @Override
  protected RecurrentLayer withInput(int inputSize, String suffix, Rng rng) {
    return new Lstm(inputSize, hiddenSize, options, suffix, rng);
  }

  @Override
  protected boolean hasCell() {
    return true;
  }

  @Override
  protected Run newRun(int batch, int steps) {
    return new LstmRun(batch, steps, hiddenSize, outputSize, weightHr != null);
  }

  @Override
  protected void allocateBackward(Run r) {
    LstmRun run = (LstmRun) r;
    run.dc = new float[r.batch * hiddenSize];
    if (weightHr != null) {
      run.dM = new float[r.batch * hiddenSize];
      run.dHs = new float[r.batch * r.steps * outputSize];
    }
  }

  @Override
  protected void startCell(Run r, Tensor c0) {
    float[] c = ((LstmRun) r).c;
    if (c0 != null) {
      System.arraycopy(c0.data(), 0, c, 0, c.length);
    } else {
      Arrays.fill(c, 0f);
    }
  }

  @Override
  protected Tensor cellFinal(Run r) {
    return Tensor.of(((LstmRun) r).c.clone(), 1, r.batch, hiddenSize);
  }

  @Override
  protected void stepForward(Run r, int t) {
    LstmRun run = (LstmRun) r;
    for (int b = 0; b < run.batch; b++) {
      if (t < run.lengths[b]) {
        cell(run, b, t);
      }
    }
    if (weightHr != null) {
      project(run, t);
    }
  }

  /**
   * The cell of batch row b at step t: activates the gates, updates c, and writes act(c) and h (or
   * m, with a projection).
   */
  private void cell(LstmRun run, int b, int t) {
    int hs = hiddenSize;
    int g0 = (b * run.steps + t) * 4 * hs; // gates row: i, f, g, o
    int s = (b * run.steps + t) * hs; // step row of the (B, T, H) slabs
    int st = b * hs; // row of the running state
    boolean tanh = options.activation() == Activation.TANH;
    if (!options.peepholes()) {
      boolean projected = weightHr != null;
      Kernels.active().lstmCellForward(0, hs, hs, tanh, run.gates, g0, run.c, projected ? null : run.h, st, run.cPrev,
          run.tanhC, projected ? run.m : run.output, s);
      return;
    }
    peepholeCell(run, tanh, g0, s, st);
  }

  /** {@link #cell} with peepholes: i and f see c_{t-1}, o sees c_t. */
  private void peepholeCell(LstmRun run, boolean tanh, int g0, int s, int st) {
    float[] gates = run.gates;
    float[] c = run.c;
    Kernels k = Kernels.active();
    int hs = hiddenSize;
    float[] pi = peepI.array();
    float[] pf = peepF.array();
    float[] po = peepO.array();
    for (int j = 0; j < hs; j++) {
      gates[g0 + j] += pi[j] * c[st + j]; // i sees c_{t-1}
      gates[g0 + hs + j] += pf[j] * c[st + j]; // f sees c_{t-1}
    }
    k.sigmoid(gates, g0, gates, g0, 2 * hs); // i, f
    if (tanh) {
      k.tanh(gates, g0 + 2 * hs, gates, g0 + 2 * hs, hs);
    }
    System.arraycopy(c, st, run.cPrev, s, hs);
    for (int j = 0; j < hs; j++) {
      c[st + j] = gates[g0 + hs + j] * c[st + j] + gates[g0 + j] * gates[g0 + 2 * hs + j];
      gates[g0 + 3 * hs + j] += po[j] * c[st + j]; // o sees c_t
    }
    k.sigmoid(gates, g0 + 3 * hs, gates, g0 + 3 * hs, hs);
    if (tanh) {
      k.tanh(c, st, run.tanhC, s, hs);
    } else {
      System.arraycopy(c, st, run.tanhC, s, hs); // act(c) = c
    }
    float[] out = weightHr != null ? run.m : run.output;
    for (int j = 0; j < hs; j++) {
      float hNew = gates[g0 + 3 * hs + j] * run.tanhC[s + j];
      out[s + j] = hNew;
      if (weightHr == null) {
        run.h[st + j] = hNew;
      }
    }
  }

  /** h_t = W_hr m_t for the valid rows of step t. */
  private void project(LstmRun run, int t) {
    int p = outputSize;
    int steps = run.steps;
    // projected = m[:, t] · W_hrᵀ
    Gemm.gemm(false, true, run.batch, p, hiddenSize, 1f, run.m, t * hiddenSize, steps * hiddenSize,
        weightHr.array(), 0, hiddenSize, 0f, run.projected, 0, p);
    for (int b = 0; b < run.batch; b++) {
      if (t < run.lengths[b]) {
        System.arraycopy(run.projected, b * p, run.h, b * p, p);
        System.arraycopy(run.projected, b * p, run.output, (b * steps + t) * p, p);
      }
    }
  }

  @Override
  protected void startCellGrad(Run r, Tensor dcn) {
    float[] dc = ((LstmRun) r).dc;
    if (dcn != null) {
      System.arraycopy(dcn.data(), 0, dc, 0, dc.length);
    } else {
      Arrays.fill(dc, 0f);
    }
  }

  @Override
  protected void stepBackward(Run r, int t) {
    LstmRun run = (LstmRun) r;
    float[] gates = run.gates;
    float[] dGates = run.dGates;
    float[] dh = run.dh;
    float[] dc = run.dc;
    float[] cPrev = run.cPrev;
    float[] tanhC = run.tanhC; // act(c_t)
    boolean tanh = options.activation() == Activation.TANH;
    boolean peep = options.peepholes();
    float[] pi = peep ? peepI.array() : null;
    float[] pf = peep ? peepF.array() : null;
    float[] po = peep ? peepO.array() : null;
    float[] dpi = peep ? peepI.grad().data() : null;
    float[] dpf = peep ? peepF.grad().data() : null;
    float[] dpo = peep ? peepO.grad().data() : null;
    int hs = hiddenSize;
    int steps = run.steps;
    float[] dOut = dh; // d(loss)/d(o ⊙ act(c)) per row, H wide: dh itself, or dh · W_hr with projection
    if (weightHr != null) {
      int p = outputSize;
      // dM = dh · W_hr, and dh of this step kept for dW_hr
      Gemm.gemm(false, false, run.batch, hs, p, 1f, dh, 0, p, weightHr.array(), 0, hs, 0f, run.dM, 0, hs);
      for (int b = 0; b < run.batch; b++) {
        int at = (b * steps + t) * p;
        if (t < run.lengths[b]) {
          System.arraycopy(dh, b * p, run.dHs, at, p);
          Arrays.fill(dh, b * p, (b + 1) * p, 0f);
        } else {
          Arrays.fill(run.dHs, at, at + p, 0f);
        }
      }
      dOut = run.dM;
    }
    Kernels kernels = Kernels.active();
    for (int b = 0; b < run.batch; b++) {
      int g0 = (b * steps + t) * 4 * hs;
      if (t >= run.lengths[b]) {
        Arrays.fill(dGates, g0, g0 + 4 * hs, 0f); // dh and dc pass through unchanged
        continue;
      }
      int s = (b * steps + t) * hs;
      int st = b * hs;
      if (!peep) {
        kernels.lstmCellBackward(hs, tanh, gates, g0, tanhC, cPrev, s, dOut, dc, st, dGates);
        if (weightHr == null) {
          Arrays.fill(dh, st, st + hs, 0f); // h_{t-1} reaches the loss only through W_hh, which the base adds
        }
        continue;
      }
      // with peepholes the gates also see the cell: the kernel's arithmetic plus their terms
      for (int j = 0; j < hs; j++) {
        float i = gates[g0 + j];
        float f = gates[g0 + hs + j];
        float g = gates[g0 + 2 * hs + j];
        float o = gates[g0 + 3 * hs + j];
        float tc = tanhC[s + j];
        float dhj = dOut[st + j];
        // h = o ⊙ act(c): do = dh ⊙ act(c), dc += dh ⊙ o ⊙ act'(c)
        float dO = dhj * tc;
        float dOPre = dO * o * (1f - o);
        float dC = dc[st + j] + dhj * o * (tanh ? 1f - tc * tc : 1f);
        float cp = cPrev[s + j];
        // o = σ(... + p_o ⊙ c_t)
        dC += dOPre * po[j];
        dpo[j] += dOPre * (cp * f + i * g); // c_t, recomputed from the saved gates
        // c = f ⊙ c_prev + i ⊙ g
        float dI = dC * g;
        float dF = dC * cp;
        float dG = dC * i;
        float dIPre = dI * i * (1f - i);
        float dFPre = dF * f * (1f - f);
        float dCPrev = dC * f;
        // i = σ(... + p_i ⊙ c_prev), f = σ(... + p_f ⊙ c_prev)
        dCPrev += dIPre * pi[j] + dFPre * pf[j];
        dpi[j] += dIPre * cp;
        dpf[j] += dFPre * cp;
        dc[st + j] = dCPrev;
        // through the activations, from their outputs
        dGates[g0 + j] = dIPre;
        dGates[g0 + hs + j] = dFPre;
        dGates[g0 + 2 * hs + j] = tanh ? dG * (1f - g * g) : dG;
        dGates[g0 + 3 * hs + j] = dOPre;
        if (weightHr == null) {
          dh[st + j] = 0f; // h_{t-1} reaches the loss only through W_hh, which the base adds
        }
      }
    }
  }

  @Override
  protected void finishBackward(Run r) {
    if (weightHr == null || r.batch * r.steps == 0) {
      return;
    }
    LstmRun run = (LstmRun) r;
    // dW_hr += dHsᵀ · m over every step
    Gemm.gemm(true, false, outputSize, hiddenSize, r.batch * r.steps, 1f, run.dHs, 0, outputSize, run.m, 0, hiddenSize,
        1f, weightHr.grad().data(), 0, hiddenSize);
  }

  @Override
  protected Tensor cellInitialGrad(Run r) {
    return Tensor.of(((LstmRun) r).dc.clone(), 1, r.batch, hiddenSize);
  }
}
