package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;

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
 */
public final class Lstm extends RecurrentLayer {
  /** The LSTM's slabs beside the shared ones. */
  private static final class LstmRun extends Run {
    final float[] c; // (B, H) the running cell state
    final float[] cPrev; // (B, T, H) c_{t-1} of each step
    final float[] tanhC; // (B, T, H) tanh(c_t) of each step
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
    this(inputSize, hiddenSize, "_l0", rng);
  }

  Lstm(int inputSize, int hiddenSize, String suffix, Rng rng) {
    super(inputSize, hiddenSize, 4, suffix, rng);
  }

  @Override
  protected RecurrentLayer twin(String suffix, Rng rng) {
    return new Lstm(inputSize, hiddenSize, suffix, rng);
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
    int hs = hiddenSize;
    int steps = run.steps;
    for (int b = 0; b < run.batch; b++) {
      if (t >= run.lengths[b]) {
        continue;
      }
      int g0 = (b * steps + t) * 4 * hs; // gates row: i, f, g, o
      int s = (b * steps + t) * hs; // step row of the (B, T, H) slabs
      int st = b * hs; // row of the running state
      k.sigmoid(gates, g0, gates, g0, 2 * hs); // i, f
      k.tanh(gates, g0 + 2 * hs, gates, g0 + 2 * hs, hs); // g
      k.sigmoid(gates, g0 + 3 * hs, gates, g0 + 3 * hs, hs); // o
      System.arraycopy(c, st, run.cPrev, s, hs);
      for (int j = 0; j < hs; j++) {
        float i = gates[g0 + j];
        float f = gates[g0 + hs + j];
        float g = gates[g0 + 2 * hs + j];
        c[st + j] = f * c[st + j] + i * g;
      }
      k.tanh(c, st, run.tanhC, s, hs);
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
    float[] tanhC = run.tanhC;
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
        // h = o ⊙ tanh(c): do = dh ⊙ tanh(c), dc += dh ⊙ o ⊙ (1 - tanh²(c))
        float dO = dhj * tc;
        float dC = dc[st + j] + dhj * o * (1f - tc * tc);
        // c = f ⊙ c_prev + i ⊙ g
        float dI = dC * g;
        float dF = dC * cPrev[s + j];
        float dG = dC * i;
        dc[st + j] = dC * f;
        // through the activations, from their outputs
        dGates[g0 + j] = dI * i * (1f - i);
        dGates[g0 + hs + j] = dF * f * (1f - f);
        dGates[g0 + 2 * hs + j] = dG * (1f - g * g);
        dGates[g0 + 3 * hs + j] = dO * o * (1f - o);
        dh[st + j] = 0f; // h_{t-1} reaches the loss only through W_hh, which the base adds
      }
    }
  }

  @Override
  protected Tensor cellInitialGrad(Run r) {
    return Tensor.of(((LstmRun) r).dc.clone(), 1, r.batch, hiddenSize);
  }
}
