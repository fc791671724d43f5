package io.github.recurrent4j.nn;

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
   */
  public record Options(Activation activation, boolean unitForgetBias, boolean peepholes) {
    public Options {
      if (activation == null) {
        throw new IllegalArgumentException("Lstm.Options: activation must not be null");
      }
    }

    /** PyTorch's LSTM: tanh, forget bias drawn like every other bias. */
    public static Options defaults() {
      return new Options(Activation.TANH, false, false);
    }

    public Options withActivation(Activation value) {
      return new Options(value, unitForgetBias, peepholes);
    }

    public Options withUnitForgetBias(boolean value) {
      return new Options(activation, value, peepholes);
    }

    public Options withPeepholes(boolean value) {
      return new Options(activation, unitForgetBias, value);
    }
  }

  private final Options options;
  private final Parameter peepI; // (H) p_i, or null without peepholes
  private final Parameter peepF; // (H) p_f
  private final Parameter peepO; // (H) p_o

  /** The LSTM's slabs beside the shared ones. */
  private static final class LstmRun extends Run {
    final float[] c; // (B, H) the running cell state
    final float[] cPrev; // (B, T, H) c_{t-1} of each step
    final float[] tanhC; // (B, T, H) act(c_t) of each step: tanh(c_t), or c_t with identity
    float[] dc; // (B, H) d(loss)/d(c_t) flowing backwards

    LstmRun(int batch, int steps, int hiddenSize) {
      super(batch, steps, 4 * hiddenSize, hiddenSize);
      c = new float[batch * hiddenSize];
      cPrev = new float[batch * steps * hiddenSize];
      tanhC = new float[batch * steps * hiddenSize];
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
    super(inputSize, hiddenSize, 4, suffix, rng);
    if (options == null) {
      throw new IllegalArgumentException("Lstm: options must not be null");
    }
    this.options = options;
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

  public Options options() {
    return options;
  }

  @Override
  public List<Parameter> parameters() {
    if (!options.peepholes()) {
      return super.parameters();
    }
    List<Parameter> all = new ArrayList<>(super.parameters());
    all.addAll(List.of(peepI, peepF, peepO));
    return all;
  }

  @Override
  protected RecurrentLayer withInput(int inputSize, String suffix, Rng rng) {
    return new Lstm(inputSize, hiddenSize, options, suffix, rng);
  }

  @Override
  protected RecurrentLayer twin(String suffix, Rng rng) {
    return new Lstm(inputSize, hiddenSize, options, suffix, rng);
  }

  @Override
  protected boolean hasCell() {
    return true;
  }

  @Override
  protected Run newRun(int batch, int steps) {
    return new LstmRun(batch, steps, hiddenSize);
  }

  @Override
  protected void allocateBackward(Run r) {
    ((LstmRun) r).dc = new float[r.batch * hiddenSize];
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
    float[] gates = run.gates;
    float[] c = run.c;
    float[] h = run.h;
    Kernels k = Kernels.active();
    boolean tanh = options.activation() == Activation.TANH;
    boolean peep = options.peepholes();
    float[] pi = peep ? peepI.value().data() : null;
    float[] pf = peep ? peepF.value().data() : null;
    float[] po = peep ? peepO.value().data() : null;
    int hs = hiddenSize;
    int steps = run.steps;
    for (int b = 0; b < run.batch; b++) {
      if (t >= run.lengths[b]) {
        continue;
      }
      int g0 = (b * steps + t) * 4 * hs; // gates row: i, f, g, o
      int s = (b * steps + t) * hs; // step row of the (B, T, H) slabs
      int st = b * hs; // row of the running state
      if (peep) {
        for (int j = 0; j < hs; j++) {
          gates[g0 + j] += pi[j] * c[st + j]; // i sees c_{t-1}
          gates[g0 + hs + j] += pf[j] * c[st + j]; // f sees c_{t-1}
        }
      }
      k.sigmoid(gates, g0, gates, g0, 2 * hs); // i, f
      if (tanh) {
        k.tanh(gates, g0 + 2 * hs, gates, g0 + 2 * hs, hs); // g
      }
      System.arraycopy(c, st, run.cPrev, s, hs);
      for (int j = 0; j < hs; j++) {
        float i = gates[g0 + j];
        float f = gates[g0 + hs + j];
        float g = gates[g0 + 2 * hs + j];
        c[st + j] = f * c[st + j] + i * g;
      }
      if (peep) {
        for (int j = 0; j < hs; j++) {
          gates[g0 + 3 * hs + j] += po[j] * c[st + j]; // o sees c_t
        }
      }
      k.sigmoid(gates, g0 + 3 * hs, gates, g0 + 3 * hs, hs); // o
      if (tanh) {
        k.tanh(c, st, run.tanhC, s, hs);
      } else {
        System.arraycopy(c, st, run.tanhC, s, hs); // act(c) = c
      }
      for (int j = 0; j < hs; j++) {
        float o = gates[g0 + 3 * hs + j];
        float hNew = o * run.tanhC[s + j];
        h[st + j] = hNew;
        run.output[s + j] = hNew;
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
    float[] pi = peep ? peepI.value().data() : null;
    float[] pf = peep ? peepF.value().data() : null;
    float[] po = peep ? peepO.value().data() : null;
    float[] dpi = peep ? peepI.grad().data() : null;
    float[] dpf = peep ? peepF.grad().data() : null;
    float[] dpo = peep ? peepO.grad().data() : null;
    int hs = hiddenSize;
    int steps = run.steps;
    for (int b = 0; b < run.batch; b++) {
      int g0 = (b * steps + t) * 4 * hs;
      if (t >= run.lengths[b]) {
        Arrays.fill(dGates, g0, g0 + 4 * hs, 0f); // dh and dc pass through unchanged
        continue;
      }
      int s = (b * steps + t) * hs;
      int st = b * hs;
      for (int j = 0; j < hs; j++) {
        float i = gates[g0 + j];
        float f = gates[g0 + hs + j];
        float g = gates[g0 + 2 * hs + j];
        float o = gates[g0 + 3 * hs + j];
        float tc = tanhC[s + j];
        float dhj = dh[st + j];
        // h = o ⊙ act(c): do = dh ⊙ act(c), dc += dh ⊙ o ⊙ act'(c)
        float dO = dhj * tc;
        float dOPre = dO * o * (1f - o);
        float dC = dc[st + j] + dhj * o * (tanh ? 1f - tc * tc : 1f);
        float cp = cPrev[s + j];
        if (peep) {
          // o = σ(... + p_o ⊙ c_t)
          dC += dOPre * po[j];
          dpo[j] += dOPre * (cp * f + i * g); // c_t, recomputed from the saved gates
        }
        // c = f ⊙ c_prev + i ⊙ g
        float dI = dC * g;
        float dF = dC * cp;
        float dG = dC * i;
        float dIPre = dI * i * (1f - i);
        float dFPre = dF * f * (1f - f);
        float dCPrev = dC * f;
        if (peep) {
          // i = σ(... + p_i ⊙ c_prev), f = σ(... + p_f ⊙ c_prev)
          dCPrev += dIPre * pi[j] + dFPre * pf[j];
          dpi[j] += dIPre * cp;
          dpf[j] += dFPre * cp;
        }
        dc[st + j] = dCPrev;
        // through the activations, from their outputs
        dGates[g0 + j] = dIPre;
        dGates[g0 + hs + j] = dFPre;
        dGates[g0 + 2 * hs + j] = tanh ? dG * (1f - g * g) : dG;
        dGates[g0 + 3 * hs + j] = dOPre;
        dh[st + j] = 0f; // h_{t-1} reaches the loss only through W_hh, which the base adds
      }
    }
  }

  @Override
  protected Tensor cellInitialGrad(Run r) {
    return Tensor.of(((LstmRun) r).dc.clone(), 1, r.batch, hiddenSize);
  }
}
