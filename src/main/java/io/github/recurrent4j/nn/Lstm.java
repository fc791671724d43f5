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
  private float[] c; // (B, H) the running cell state
  private float[] cPrev; // (B, T, H) c_{t-1} of each step
  private float[] tanhC; // (B, T, H) tanh(c_t) of each step
  private float[] dc; // (B, H) d(loss)/d(c_t) flowing backwards

  /** Initialised from the default generator (see {@link Rng#manualSeed}). */
  public Lstm(int inputSize, int hiddenSize) {
    this(inputSize, hiddenSize, Rng.fromDefault());
  }

  public Lstm(int inputSize, int hiddenSize, Rng rng) {
    this(inputSize, hiddenSize, "", rng);
  }

  private Lstm(int inputSize, int hiddenSize, String suffix, Rng rng) {
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
  protected void allocate() {
    c = new float[batch * hiddenSize];
    dc = new float[batch * hiddenSize];
    cPrev = new float[batch * steps * hiddenSize];
    tanhC = new float[batch * steps * hiddenSize];
  }

  @Override
  protected void startCell(Tensor c0) {
    if (c0 != null) {
      System.arraycopy(c0.data(), 0, c, 0, c.length);
    } else {
      Arrays.fill(c, 0f);
    }
  }

  @Override
  protected Tensor cellFinal() {
    return Tensor.of(c.clone(), 1, batch, hiddenSize);
  }

  @Override
  protected void stepForward(int t) {
    Kernels k = Kernels.active();
    int hs = hiddenSize;
    for (int b = 0; b < batch; b++) {
      if (t >= lengths[b]) {
        continue;
      }
      int g0 = (b * steps + t) * 4 * hs; // gates row: i, f, g, o
      int s = (b * steps + t) * hs; // step row of the (B, T, H) slabs
      int st = b * hs; // row of the running state
      k.sigmoid(gates, g0, gates, g0, 2 * hs); // i, f
      k.tanh(gates, g0 + 2 * hs, gates, g0 + 2 * hs, hs); // g
      k.sigmoid(gates, g0 + 3 * hs, gates, g0 + 3 * hs, hs); // o
      System.arraycopy(c, st, cPrev, s, hs);
      for (int j = 0; j < hs; j++) {
        float i = gates[g0 + j];
        float f = gates[g0 + hs + j];
        float g = gates[g0 + 2 * hs + j];
        c[st + j] = f * c[st + j] + i * g;
      }
      k.tanh(c, st, tanhC, s, hs);
      for (int j = 0; j < hs; j++) {
        float o = gates[g0 + 3 * hs + j];
        float hNew = o * tanhC[s + j];
        h[st + j] = hNew;
        output[s + j] = hNew;
      }
    }
  }

  @Override
  protected void startCellGrad(Tensor dcn) {
    if (dcn != null) {
      System.arraycopy(dcn.data(), 0, dc, 0, dc.length);
    } else {
      Arrays.fill(dc, 0f);
    }
  }

  @Override
  protected void stepBackward(int t) {
    int hs = hiddenSize;
    for (int b = 0; b < batch; b++) {
      int g0 = (b * steps + t) * 4 * hs;
      if (t >= lengths[b]) {
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
  protected Tensor cellInitialGrad() {
    return Tensor.of(dc.clone(), 1, batch, hiddenSize);
  }
}
