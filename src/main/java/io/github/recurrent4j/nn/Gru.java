package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Gemm;
import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.tensor.Rng;
import java.util.Arrays;

/**
 * Gated recurrent unit, as {@code torch.nn.GRU(batch_first=True)} (one layer, one direction).
 * Weights are stacked in PyTorch's gate order r, z, n; note that the reset gate multiplies the
 * whole recurrent term of n, bias included:
 * <pre>
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)
 *   z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
 * </pre>
 * Shapes: x (B, T, I), output (B, T, H), h state (1, B, H); {@code weight_ih_l0} (3H, I),
 * {@code weight_hh_l0} (3H, H), {@code bias_ih_l0} and {@code bias_hh_l0} (3H).
 *
 * <p>With {@code resetBefore} the reset gate applies before the matrix product, as in Cho et al.
 * 2014 and Keras' {@code reset_after=False}: {@code n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)}.
 * The parameters keep PyTorch's names and shapes (Keras' single recurrent bias is b_in + b_hn).
 */
public final class Gru extends RecurrentLayer {
  /** The GRU's slabs beside the shared ones. */
  private static final class GruRun extends Run {
    final float[] hh; // (B, T, 3H) W_hh h_{t-1} + b_hh of each step (n part: W_hn (r ⊙ h) + b_hn with reset before)
    final float[] rh; // (B, T, H) r ⊙ h_{t-1} of each step, with reset before; else empty
    float[] dGatesHh; // (B, T, 3H) d(loss)/d(hh); the n part stays zero with reset before
    float[] dN; // (B, T, H) d(loss)/d(n pre-activation), with reset before
    float[] dRh; // (B, H) d(loss)/d(r ⊙ h) of one step, with reset before

    GruRun(int batch, int steps, int hiddenSize, boolean resetBefore) {
      super(batch, steps, 3 * hiddenSize, hiddenSize);
      hh = new float[batch * steps * 3 * hiddenSize];
      rh = new float[resetBefore ? batch * steps * hiddenSize : 0];
    }
  }

  private final boolean resetBefore;

  /** Initialised from the default generator (see {@link Rng#manualSeed}). */
  public Gru(int inputSize, int hiddenSize) {
    this(inputSize, hiddenSize, Rng.fromDefault());
  }

  public Gru(int inputSize, int hiddenSize, Rng rng) {
    this(inputSize, hiddenSize, false, rng);
  }

  /** @param resetBefore apply the reset gate before the matrix product (Cho et al. 2014) */
  public Gru(int inputSize, int hiddenSize, boolean resetBefore, Rng rng) {
    this(inputSize, hiddenSize, resetBefore, "_l0", rng);
  }

  Gru(int inputSize, int hiddenSize, boolean resetBefore, String suffix, Rng rng) {
    super(inputSize, hiddenSize, 3, suffix, rng);
    this.resetBefore = resetBefore;
  }

  public boolean resetBefore() {
    return resetBefore;
  }

  @Override
  protected void checkRecurrentDropout(double p) {
    if (p > 0 && resetBefore) {
      throw new IllegalArgumentException(this + ": recurrent dropout is not supported with the reset gate before the"
          + " product");
    }
  }

  @Override
  protected RecurrentLayer withInput(int inputSize, String suffix, Rng rng) {
    return new Gru(inputSize, hiddenSize, resetBefore, suffix, rng);
  }

  @Override
  protected boolean foldsHiddenBias() {
    return false;
  }

  @Override
  protected Run newRun(int batch, int steps) {
    return new GruRun(batch, steps, hiddenSize, resetBefore);
  }

  @Override
  protected void allocateBackward(Run r) {
    GruRun run = (GruRun) r;
    run.dGatesHh = new float[r.batch * r.steps * 3 * hiddenSize];
    if (resetBefore) {
      run.dN = new float[r.batch * r.steps * hiddenSize];
      run.dRh = new float[r.batch * hiddenSize];
    }
  }

  @Override
  protected float[] dGatesHh(Run r) {
    return ((GruRun) r).dGatesHh;
  }

  @Override
  protected void recurrentProduct(Run r, int t) {
    float[] hh = ((GruRun) r).hh;
    int gh = 3 * hiddenSize;
    float[] bias = biasHh.array();
    for (int b = 0; b < r.batch; b++) {
      System.arraycopy(bias, 0, hh, (b * r.steps + t) * gh, gh);
    }
    if (resetBefore) {
      // hh[:, t, r|z] += h_{t-1} · W_h(r|z)ᵀ; the n part waits for r (stepForward)
      Gemm.gemm(false, true, r.batch, 2 * hiddenSize, hiddenSize, 1f, r.h, 0, hiddenSize, weightHh.array(), 0,
          hiddenSize, 1f, hh, t * gh, r.steps * gh);
    } else {
      // hh[:, t] += h_{t-1} · W_hhᵀ
      addHiddenProduct(r, hh, t * gh, r.steps * gh);
    }
  }

  @Override
  protected void stepForward(Run current, int t) {
    GruRun run = (GruRun) current;
    float[] gates = run.gates;
    float[] hh = run.hh;
    float[] h = run.h;
    Kernels k = Kernels.active();
    int hs = hiddenSize;
    int steps = run.steps;
    for (int b = 0; b < run.batch; b++) {
      if (t >= run.lengths[b]) {
        continue;
      }
      int g0 = (b * steps + t) * 3 * hs; // gates and hh rows: r, z, n
      int s = (b * steps + t) * hs;
      int st = b * hs;
      for (int j = 0; j < 2 * hs; j++) {
        gates[g0 + j] += hh[g0 + j];
      }
      k.sigmoid(gates, g0, gates, g0, 2 * hs); // r, z
      if (resetBefore) {
        for (int j = 0; j < hs; j++) {
          run.rh[s + j] = gates[g0 + j] * h[st + j];
        }
        continue; // n needs W_hn (r ⊙ h) for every row: finished below
      }
      for (int j = 0; j < hs; j++) {
        gates[g0 + 2 * hs + j] += gates[g0 + j] * hh[g0 + 2 * hs + j];
      }
      finishStep(k, run, g0, s, st);
    }
    if (resetBefore) {
      finishResetBefore(k, run, t);
    }
  }

  /** n = tanh(x_n + W_hn (r ⊙ h) + b_hn) for every valid row of step t, then h_t. */
  private void finishResetBefore(Kernels k, GruRun run, int t) {
    int hs = hiddenSize;
    int gh = 3 * hs;
    int steps = run.steps;
    float[] bias = biasHh.array();
    for (int b = 0; b < run.batch; b++) {
      System.arraycopy(bias, 2 * hs, run.hh, (b * steps + t) * gh + 2 * hs, hs);
    }
    // hh[:, t, n] += (r ⊙ h) · W_hnᵀ
    Gemm.gemm(false, true, run.batch, hs, hs, 1f, run.rh, t * hs, steps * hs, weightHh.array(), 2 * hs * hs, hs,
        1f, run.hh, t * gh + 2 * hs, steps * gh);
    for (int b = 0; b < run.batch; b++) {
      if (t >= run.lengths[b]) {
        continue;
      }
      int g0 = (b * steps + t) * gh;
      for (int j = 0; j < hs; j++) {
        run.gates[g0 + 2 * hs + j] += run.hh[g0 + 2 * hs + j];
      }
      finishStep(k, run, g0, (b * steps + t) * hs, b * hs);
    }
  }

  /** n = tanh(pre-activation in the gates row), then h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}. */
  private void finishStep(Kernels k, GruRun run, int g0, int s, int st) {
    int hs = hiddenSize;
    float[] gates = run.gates;
    float[] h = run.h;
    k.tanh(gates, g0 + 2 * hs, gates, g0 + 2 * hs, hs); // n
    for (int j = 0; j < hs; j++) {
      float z = gates[g0 + hs + j];
      float n = gates[g0 + 2 * hs + j];
      float hNew = (1f - z) * n + z * h[st + j];
      h[st + j] = hNew;
      run.output[s + j] = hNew;
    }
  }

  @Override
  protected void stepBackward(Run current, int t) {
    if (resetBefore) {
      stepBackwardResetBefore((GruRun) current, t);
      return;
    }
    GruRun run = (GruRun) current;
    float[] gates = run.gates;
    float[] hh = run.hh;
    float[] hPrev = run.hPrev;
    float[] dGates = run.dGates;
    float[] dGatesHh = run.dGatesHh;
    float[] dh = run.dh;
    int hs = hiddenSize;
    int steps = run.steps;
    Kernels kernels = Kernels.active();
    for (int b = 0; b < run.batch; b++) {
      int g0 = (b * steps + t) * 3 * hs;
      if (t >= run.lengths[b]) {
        Arrays.fill(dGates, g0, g0 + 3 * hs, 0f);
        Arrays.fill(dGatesHh, g0, g0 + 3 * hs, 0f);
        continue;
      }
      // the direct path of dh stays in dh; W_hh's part is added by the base
      kernels.gruCellBackward(hs, gates, hh, g0, hPrev, (b * steps + t) * hs, dh, b * hs, dGates, dGatesHh);
    }
  }

  /**
   * Backward of one step with the reset gate before the product:
   * <pre>
   *   n = tanh(x_n + W_hn (r ⊙ h) + b_hn):   d(r ⊙ h) = dnPre · W_hn,  dr = d(r ⊙ h) ⊙ h,  dh += d(r ⊙ h) ⊙ r
   * </pre>
   * W_hn's rows get their gradient in {@link #finishBackward}, from r ⊙ h rather than h, so the
   * n part of dGatesHh stays zero for the base's products.
   */
  private void stepBackwardResetBefore(GruRun run, int t) {
    float[] gates = run.gates;
    float[] hPrev = run.hPrev;
    float[] dGates = run.dGates;
    float[] dGatesHh = run.dGatesHh;
    float[] dN = run.dN;
    float[] dh = run.dh;
    int hs = hiddenSize;
    int steps = run.steps;
    for (int b = 0; b < run.batch; b++) {
      int g0 = (b * steps + t) * 3 * hs;
      int s = (b * steps + t) * hs;
      if (t >= run.lengths[b]) {
        Arrays.fill(dGates, g0, g0 + 3 * hs, 0f);
        Arrays.fill(dGatesHh, g0, g0 + 3 * hs, 0f);
        Arrays.fill(dN, s, s + hs, 0f);
        continue;
      }
      int st = b * hs;
      for (int j = 0; j < hs; j++) {
        float z = gates[g0 + hs + j];
        float n = gates[g0 + 2 * hs + j];
        float dhj = dh[st + j];
        // h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
        float dNPre = dhj * (1f - z) * (1f - n * n);
        float dZPre = dhj * (hPrev[s + j] - n) * z * (1f - z);
        dGates[g0 + hs + j] = dZPre;
        dGates[g0 + 2 * hs + j] = dNPre;
        dGatesHh[g0 + hs + j] = dZPre;
        dGatesHh[g0 + 2 * hs + j] = 0f;
        dN[s + j] = dNPre;
        dh[st + j] = dhj * z; // the direct path
      }
    }
    // d(r ⊙ h) = dN[:, t] · W_hn
    Gemm.gemm(false, false, run.batch, hs, hs, 1f, dN, t * hs, steps * hs, weightHh.array(), 2 * hs * hs, hs, 0f,
        run.dRh, 0, hs);
    for (int b = 0; b < run.batch; b++) {
      if (t >= run.lengths[b]) {
        continue;
      }
      int g0 = (b * steps + t) * 3 * hs;
      int s = (b * steps + t) * hs;
      int st = b * hs;
      for (int j = 0; j < hs; j++) {
        float r = gates[g0 + j];
        float dRh = run.dRh[st + j];
        float dRPre = dRh * hPrev[s + j] * r * (1f - r);
        dGates[g0 + j] = dRPre;
        dGatesHh[g0 + j] = dRPre;
        dh[st + j] += dRh * r;
      }
    }
  }

  @Override
  protected void finishBackward(Run current) {
    if (!resetBefore) {
      return;
    }
    GruRun run = (GruRun) current;
    int hs = hiddenSize;
    int rows = run.batch * run.steps;
    if (rows == 0) {
      return;
    }
    // dW_hn += dNᵀ · (r ⊙ h) ; db_hn += Σ dN
    Gemm.gemm(true, false, hs, hs, rows, 1f, run.dN, 0, hs, run.rh, 0, hs, 1f, weightHh.grad().data(), 2 * hs * hs, hs);
    if (hasBias()) {
      columnSums(run.dN, rows, hs, biasHh.grad().data(), 2 * hs);
    }
  }
}
