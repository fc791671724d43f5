package io.github.recurrent4j.nn;

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
 */
public final class Gru extends RecurrentLayer {
  /** The GRU's slabs beside the shared ones. */
  private static final class GruRun extends Run {
    final float[] hh; // (B, T, 3H) W_hh h_{t-1} + b_hh of each step
    float[] dGatesHh; // (B, T, 3H) d(loss)/d(hh)

    GruRun(int batch, int steps, int hiddenSize) {
      super(batch, steps, 3 * hiddenSize, hiddenSize);
      hh = new float[batch * steps * 3 * hiddenSize];
    }
  }

  /** Initialised from the default generator (see {@link Rng#manualSeed}). */
  public Gru(int inputSize, int hiddenSize) {
    this(inputSize, hiddenSize, Rng.fromDefault());
  }

  public Gru(int inputSize, int hiddenSize, Rng rng) {
    this(inputSize, hiddenSize, "_l0", rng);
  }

  Gru(int inputSize, int hiddenSize, String suffix, Rng rng) {
    super(inputSize, hiddenSize, 3, suffix, rng);
  }

  @Override
  protected RecurrentLayer twin(String suffix, Rng rng) {
    return new Gru(inputSize, hiddenSize, suffix, rng);
  }

  @Override
  protected boolean foldsHiddenBias() {
    return false;
  }

  @Override
  protected Run newRun(int batch, int steps) {
    return new GruRun(batch, steps, hiddenSize);
  }

  @Override
  protected void allocateBackward(Run r) {
    ((GruRun) r).dGatesHh = new float[r.batch * r.steps * 3 * hiddenSize];
  }

  @Override
  protected float[] dGatesHh(Run r) {
    return ((GruRun) r).dGatesHh;
  }

  @Override
  protected void recurrentProduct(Run r, int t) {
    float[] hh = ((GruRun) r).hh;
    int gh = 3 * hiddenSize;
    float[] bias = biasHh.value().data();
    for (int b = 0; b < r.batch; b++) {
      System.arraycopy(bias, 0, hh, (b * r.steps + t) * gh, gh);
    }
    // hh[:, t] = h_{t-1} · W_hhᵀ + b_hh
    addHiddenProduct(r, hh, t * gh, r.steps * gh);
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
      for (int j = 0; j < hs; j++) {
        gates[g0 + 2 * hs + j] += gates[g0 + j] * hh[g0 + 2 * hs + j];
      }
      k.tanh(gates, g0 + 2 * hs, gates, g0 + 2 * hs, hs); // n
      for (int j = 0; j < hs; j++) {
        float z = gates[g0 + hs + j];
        float n = gates[g0 + 2 * hs + j];
        float hNew = (1f - z) * n + z * h[st + j];
        h[st + j] = hNew;
        run.output[s + j] = hNew;
      }
    }
  }

  @Override
  protected void stepBackward(Run current, int t) {
    GruRun run = (GruRun) current;
    float[] gates = run.gates;
    float[] hh = run.hh;
    float[] hPrev = run.hPrev;
    float[] dGates = run.dGates;
    float[] dGatesHh = run.dGatesHh;
    float[] dh = run.dh;
    int hs = hiddenSize;
    int steps = run.steps;
    for (int b = 0; b < run.batch; b++) {
      int g0 = (b * steps + t) * 3 * hs;
      if (t >= run.lengths[b]) {
        Arrays.fill(dGates, g0, g0 + 3 * hs, 0f);
        Arrays.fill(dGatesHh, g0, g0 + 3 * hs, 0f);
        continue;
      }
      int s = (b * steps + t) * hs;
      int st = b * hs;
      for (int j = 0; j < hs; j++) {
        float r = gates[g0 + j];
        float z = gates[g0 + hs + j];
        float n = gates[g0 + 2 * hs + j];
        float hn = hh[g0 + 2 * hs + j];
        float dhj = dh[st + j];
        // h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
        float dN = dhj * (1f - z);
        float dZ = dhj * (hPrev[s + j] - n);
        // n = tanh(x_n + r ⊙ hn)
        float dNPre = dN * (1f - n * n);
        float dR = dNPre * hn;
        float dRPre = dR * r * (1f - r);
        float dZPre = dZ * z * (1f - z);
        dGates[g0 + j] = dRPre;
        dGates[g0 + hs + j] = dZPre;
        dGates[g0 + 2 * hs + j] = dNPre;
        dGatesHh[g0 + j] = dRPre;
        dGatesHh[g0 + hs + j] = dZPre;
        dGatesHh[g0 + 2 * hs + j] = dNPre * r;
        dh[st + j] = dhj * z; // the direct path; W_hh's part is added by the base
      }
    }
  }
}
