package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.tensor.Rng;
import java.util.Arrays;

/**
 * The Elman network, as {@code torch.nn.RNN(batch_first=True)} (one layer, one direction):
 * <pre>
 *   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)      act = tanh (default) or relu
 * </pre>
 * Shapes: x (B, T, I), output (B, T, H), h state (1, B, H); {@code weight_ih_l0} (H, I),
 * {@code weight_hh_l0} (H, H), {@code bias_ih_l0} and {@code bias_hh_l0} (H).
 */
public final class SimpleRnn extends RecurrentLayer {
  /** PyTorch's {@code nonlinearity}. */
  public enum Nonlinearity { TANH, RELU }

  private final Nonlinearity nonlinearity;

  /** tanh, initialised from the default generator (see {@link Rng#manualSeed}). */
  public SimpleRnn(int inputSize, int hiddenSize) {
    this(inputSize, hiddenSize, Nonlinearity.TANH, Rng.fromDefault());
  }

  public SimpleRnn(int inputSize, int hiddenSize, Nonlinearity nonlinearity, Rng rng) {
    this(inputSize, hiddenSize, nonlinearity, "_l0", rng);
  }

  SimpleRnn(int inputSize, int hiddenSize, Nonlinearity nonlinearity, String suffix, Rng rng) {
    super(inputSize, hiddenSize, 1, suffix, rng);
    if (nonlinearity == null) {
      throw new IllegalArgumentException("SimpleRnn: nonlinearity must not be null");
    }
    this.nonlinearity = nonlinearity;
  }

  @Override
  protected RecurrentLayer withInput(int inputSize, String suffix, Rng rng) {
    return new SimpleRnn(inputSize, hiddenSize, nonlinearity, suffix, rng);
  }

  public Nonlinearity nonlinearity() {
    return nonlinearity;
  }

  @Override
  protected void stepForward(Run r, int t) {
    float[] gates = r.gates;
    Kernels k = Kernels.active();
    int hs = hiddenSize;
    for (int b = 0; b < r.batch; b++) {
      if (t >= r.lengths[b]) {
        continue;
      }
      int s = (b * r.steps + t) * hs; // gates and output rows share the (B, T, H) layout
      if (nonlinearity == Nonlinearity.TANH) {
        k.tanh(gates, s, gates, s, hs);
      } else {
        k.relu(gates, s, gates, s, hs);
      }
      System.arraycopy(gates, s, r.h, b * hs, hs);
      System.arraycopy(gates, s, r.output, s, hs);
    }
  }

  @Override
  protected void stepBackward(Run r, int t) {
    Kernels k = Kernels.active();
    int hs = hiddenSize;
    for (int b = 0; b < r.batch; b++) {
      int s = (b * r.steps + t) * hs;
      if (t >= r.lengths[b]) {
        Arrays.fill(r.dGates, s, s + hs, 0f);
        continue;
      }
      if (nonlinearity == Nonlinearity.TANH) {
        k.tanhBackward(r.gates, s, r.dh, b * hs, r.dGates, s, hs);
      } else {
        k.reluBackward(r.gates, s, r.dh, b * hs, r.dGates, s, hs);
      }
      Arrays.fill(r.dh, b * hs, (b + 1) * hs, 0f);
    }
  }

  @Override
  public String toString() {
    return "SimpleRnn(input=" + inputSize + ", hidden=" + hiddenSize
        + (nonlinearity == Nonlinearity.RELU ? ", relu" : "") + (hasBias() ? "" : ", bias=false") + ")";
  }
}
