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
 */
public final class Gru extends RecurrentLayer {
  private float[] hh; // (B, T, 3H) W_hh h_{t-1} + b_hh of each step
  private float[] dGatesHh; // (B, T, 3H) d(loss)/d(hh)

  /** Initialised from the default generator (see {@link Rng#manualSeed}). */
  public Gru(int inputSize, int hiddenSize) {
    this(inputSize, hiddenSize, Rng.fromDefault());
  }

  public Gru(int inputSize, int hiddenSize, Rng rng) {
    this(inputSize, hiddenSize, "", rng);
  }

  private Gru(int inputSize, int hiddenSize, String suffix, Rng rng) {
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
  protected void allocate() {
    hh = new float[batch * steps * 3 * hiddenSize];
    dGatesHh = new float[batch * steps * 3 * hiddenSize];
  }

  @Override
  protected float[] dGatesHh() {
    return dGatesHh;
  }

  @Override
  protected void recurrentProduct(int t) {
    int gh = 3 * hiddenSize;
    float[] bias = biasHh.value().data();
    for (int b = 0; b < batch; b++) {
      System.arraycopy(bias, 0, hh, (b * steps + t) * gh, gh);
    }
    // hh[:, t] = h_{t-1} · W_hhᵀ + b_hh
    Gemm.gemm(false, true, batch, gh, hiddenSize, 1f, h, 0, hiddenSize, weightHh.value().data(), 0, hiddenSize, 1f,
        hh, t * gh, steps * gh);
  }

  @Override
  protected void stepForward(int t) {
    Kernels k = Kernels.active();
    int hs = hiddenSize;
    for (int b = 0; b < batch; b++) {
      if (t >= lengths[b]) {
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
        output[s + j] = hNew;
      }
    }
  }

  @Override
  protected void stepBackward(int t) {
    int hs = hiddenSize;
    for (int b = 0; b < batch; b++) {
      int g0 = (b * steps + t) * 3 * hs;
      if (t >= lengths[b]) {
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
