package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Gemm;
import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * The Jordan network (Jordan 1986; Mesnil et al. 2013 for slot filling): the context fed back is
 * the previous <em>output</em>, not the hidden state.
 * <pre>
 *   h_t = tanh(W_ih x_t + b_ih + W_yh y_{t-1} + b_yh)
 *   y_t = act(W_hy h_t + b_hy)              act: identity, tanh, sigmoid or softmax
 * </pre>
 * Shapes: x (B, T, I), output y (B, T, O), state y (1, B, O); {@code weight_ih_l0} (H, I),
 * {@code bias_ih_l0} (H), {@code weight_yh_l0} (H, O), {@code bias_yh_l0} (H),
 * {@code weight_hy_l0} (O, H), {@code bias_hy_l0} (O), all initialised as PyTorch's RNN weights,
 * {@code U(-1/sqrt(H), 1/sqrt(H))}. Lengths, states and their gradients work as in every
 * {@link StatefulSequenceLayer}: the state is the last valid output.
 */
public final class JordanRnn implements StatefulSequenceLayer {
  /** The output activation. */
  public enum OutputActivation { IDENTITY, TANH, SIGMOID, SOFTMAX }

  private final int inputSize;
  private final int hiddenSize;
  private final int outputSize;
  private final OutputActivation activation;
  private final Parameter weightIh; // (H, I)
  private final Parameter biasIh; // (H)
  private final Parameter weightYh; // (H, O)
  private final Parameter biasYh; // (H)
  private final Parameter weightHy; // (O, H)
  private final Parameter biasHy; // (O)

  private final String suffix; // of every parameter name: "_l0", or "_l0_reverse" in a Bidirectional
  private Pass last; // the last training forward
  private final TrainingGuard guard = new TrainingGuard();
  private RnnState finalState;
  private RnnState initialGrad;

  /** What one forward pass computes and its backward needs; infer makes its own and keeps none. */
  private static final class Pass {
    int batch;
    int steps;
    int[] lengths; // (B)
    Tensor input; // (B, T, I)
    float[] hidden; // (B, T, H) pre-activations, then h_t
    float[] yPrev; // (B, T, O) y_{t-1} of each step
    float[] y; // (B, T, O) outputs (zero past each length)
    float[] context; // (B, O) the running y
  }

  /** tanh output, initialised from the default generator (see {@link Rng#manualSeed}). */
  public JordanRnn(int inputSize, int hiddenSize, int outputSize) {
    this(inputSize, hiddenSize, outputSize, OutputActivation.TANH, Rng.fromDefault());
  }

  public JordanRnn(int inputSize, int hiddenSize, int outputSize, OutputActivation activation, Rng rng) {
    this(inputSize, hiddenSize, outputSize, activation, "_l0", rng);
  }

  private JordanRnn(int inputSize, int hiddenSize, int outputSize, OutputActivation activation, String suffix,
      Rng rng) {
    if (inputSize <= 0 || hiddenSize <= 0 || outputSize <= 0) {
      throw new IllegalArgumentException("JordanRnn: sizes must be positive, got inputSize=" + inputSize
          + ", hiddenSize=" + hiddenSize + ", outputSize=" + outputSize);
    }
    if (activation == null) {
      throw new IllegalArgumentException("JordanRnn: activation must not be null");
    }
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.outputSize = outputSize;
    this.activation = activation;
    this.suffix = suffix;
    weightIh = new Parameter("weight_ih" + suffix, Init.pytorchRnn(Tensor.zeros(hiddenSize, inputSize), hiddenSize, rng));
    biasIh = new Parameter("bias_ih" + suffix, Init.pytorchRnn(Tensor.zeros(hiddenSize), hiddenSize, rng));
    weightYh = new Parameter("weight_yh" + suffix, Init.pytorchRnn(Tensor.zeros(hiddenSize, outputSize), hiddenSize, rng));
    biasYh = new Parameter("bias_yh" + suffix, Init.pytorchRnn(Tensor.zeros(hiddenSize), hiddenSize, rng));
    weightHy = new Parameter("weight_hy" + suffix, Init.pytorchRnn(Tensor.zeros(outputSize, hiddenSize), hiddenSize, rng));
    biasHy = new Parameter("bias_hy" + suffix, Init.pytorchRnn(Tensor.zeros(outputSize), hiddenSize, rng));
  }

  public int inputSize() {
    return inputSize;
  }

  public int hiddenSize() {
    return hiddenSize;
  }

  public int outputSize() {
    return outputSize;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weightIh, biasIh, weightYh, biasYh, weightHy, biasHy);
  }

  @Override
  public Tensor forward(Tensor x, int[] lengths, RnnState initial) {
    return guard.call(this, "forward", () -> {
      last = run(x, lengths, initial);
      finalState = RnnState.of(Tensor.of(last.context.clone(), 1, last.batch, outputSize));
      initialGrad = null;
      return Tensor.of(last.y.clone(), last.batch, last.steps, outputSize);
    });
  }

  /**
   * The inference forward: the same numbers as {@link #forward(Tensor, int[], RnnState)}, keeping
   * nothing, safe on many threads at once while nobody trains the layer.
   */
  public RecurrentLayer.Result infer(Tensor x, int[] lengths, RnnState initial) {
    Pass p = run(x, lengths, initial);
    return new RecurrentLayer.Result(Tensor.of(p.y, p.batch, p.steps, outputSize),
        RnnState.of(Tensor.of(p.context, 1, p.batch, outputSize)));
  }

  private Pass run(Tensor x, int[] lengths, RnnState initial) {
    if (x == null || x.rank() != 3 || x.dim(2) != inputSize) {
      throw new IllegalArgumentException(this + ": expected input [batch, time, " + inputSize + "], got "
          + (x == null ? "null" : x.shapeString()));
    }
    int b = x.dim(0);
    int t = x.dim(1);
    Pass pass = new Pass();
    int[] lens = checkLengths(lengths, b, t);
    Tensor y0 = checkState(initial, b, "initial state");
    pass.batch = b;
    pass.steps = t;
    pass.lengths = lens;
    pass.input = x;
    int h = hiddenSize;
    int o = outputSize;
    float[] hidden = new float[b * t * h];
    float[] yPrev = new float[b * t * o];
    float[] y = new float[b * t * o];
    float[] context = y0 == null ? new float[b * o] : y0.data().clone();
    pass.hidden = hidden;
    pass.yPrev = yPrev;
    pass.y = y;
    pass.context = context;
    // hidden = x · W_ihᵀ + b_ih + b_yh, all steps at once
    float[] bi = biasIh.value().data();
    float[] by = biasYh.value().data();
    for (int row = 0; row < b * t; row++) {
      for (int j = 0; j < h; j++) {
        hidden[row * h + j] = bi[j] + by[j];
      }
    }
    if (b * t > 0) {
      Gemm.gemm(false, true, b * t, h, inputSize, 1f, x.data(), 0, inputSize, weightIh.value().data(), 0, inputSize,
          1f, hidden, 0, h);
    }
    Kernels k = Kernels.active();
    float[] bo = biasHy.value().data();
    for (int step = 0; step < t && b > 0; step++) {
      for (int row = 0; row < b; row++) {
        System.arraycopy(context, row * o, yPrev, (row * t + step) * o, o);
      }
      // hidden[:, t] += y_{t-1} · W_yhᵀ
      Gemm.gemm(false, true, b, h, o, 1f, context, 0, o, weightYh.value().data(), 0, o, 1f, hidden, step * h, t * h);
      for (int row = 0; row < b; row++) {
        if (step < lens[row]) {
          int at = (row * t + step) * h;
          k.tanh(hidden, at, hidden, at, h);
          System.arraycopy(bo, 0, y, (row * t + step) * o, o);
        }
      }
      // y[:, t] = h_t · W_hyᵀ + b_hy (rows past their length are cleared below)
      Gemm.gemm(false, true, b, o, h, 1f, hidden, step * h, t * h, weightHy.value().data(), 0, h, 1f, y, step * o,
          t * o);
      for (int row = 0; row < b; row++) {
        int at = (row * t + step) * o;
        if (step < lens[row]) {
          activate(k, y, at);
          System.arraycopy(y, at, context, row * o, o);
        } else {
          Arrays.fill(y, at, at + o, 0f);
        }
      }
    }
    return pass;
  }

  private void activate(Kernels k, float[] v, int at) {
    switch (activation) {
      case IDENTITY -> { }
      case TANH -> k.tanh(v, at, v, at, outputSize);
      case SIGMOID -> k.sigmoid(v, at, v, at, outputSize);
      case SOFTMAX -> k.softmax(v, at, v, at, outputSize);
    }
  }

  @Override
  public RnnState finalState() {
    if (finalState == null) {
      throw new IllegalStateException(this + ": finalState() called before forward");
    }
    return finalState;
  }

  @Override
  public Tensor backward(Tensor dy, RnnState gradFinal) {
    return guard.call(this, "backward", () -> trainingBackward(dy, gradFinal));
  }

  private Tensor trainingBackward(Tensor dy, RnnState gradFinal) {
    if (last == null) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    int b = last.batch;
    int t = last.steps;
    int[] lengths = last.lengths;
    float[] hidden = last.hidden;
    float[] yPrev = last.yPrev;
    float[] y = last.y;
    Tensor input = last.input;
    int h = hiddenSize;
    int o = outputSize;
    if (dy == null || !dy.hasShape(b, t, o)) {
      throw new IllegalArgumentException(this + ": expected gradOutput of shape [" + b + ", " + t + ", " + o + "], got "
          + (dy == null ? "null" : dy.shapeString()));
    }
    Tensor dyn = checkState(gradFinal, b, "final state gradient");
    float[] dContext = dyn == null ? new float[b * o] : dyn.data().clone(); // (B, O) d(loss)/d(y_t) through the recurrence
    float[] dPreY = new float[b * t * o]; // (B, T, O)
    float[] dPreH = new float[b * t * h]; // (B, T, H)
    float[] fromNext = new float[b * o]; // (B, O) dPreH[:, t] · W_yh
    float[] dOut = new float[o]; // (O) d(loss)/d(y_t) of one row
    float[] g = dy.data();
    for (int step = t - 1; step >= 0; step--) {
      for (int row = 0; row < b; row++) {
        if (step >= lengths[row]) {
          continue; // the context passes through unchanged; no gradient at this step
        }
        int at = (row * t + step) * o;
        for (int j = 0; j < o; j++) {
          dOut[j] = g[at + j] + dContext[row * o + j];
        }
        activationBackward(y, at, dOut, dPreY, at);
      }
      // dh = dPreY[:, t] · W_hy, then through tanh
      Gemm.gemm(false, false, b, h, o, 1f, dPreY, step * o, t * o, weightHy.value().data(), 0, h, 0f, dPreH, step * h,
          t * h);
      Kernels k = Kernels.active();
      for (int row = 0; row < b; row++) {
        int at = (row * t + step) * h;
        if (step < lengths[row]) {
          k.tanhBackward(hidden, at, dPreH, at, dPreH, at, h);
        }
      }
      // d(loss)/d(y_{t-1}) = dPreH[:, t] · W_yh for valid rows
      Gemm.gemm(false, false, b, o, h, 1f, dPreH, step * h, t * h, weightYh.value().data(), 0, o, 0f, fromNext, 0, o);
      for (int row = 0; row < b; row++) {
        if (step < lengths[row]) {
          System.arraycopy(fromNext, row * o, dContext, row * o, o);
        }
      }
    }
    Tensor dx = Tensor.zeros(b, t, inputSize);
    if (b * t > 0) {
      // dW_hy += dPreYᵀ · h ; dW_ih += dPreHᵀ · x ; dW_yh += dPreHᵀ · y_prev ; dx = dPreH · W_ih
      Gemm.gemm(true, false, o, h, b * t, 1f, dPreY, 0, o, hidden, 0, h, 1f, weightHy.grad().data(), 0, h);
      Gemm.gemm(true, false, h, inputSize, b * t, 1f, dPreH, 0, h, input.data(), 0, inputSize, 1f,
          weightIh.grad().data(), 0, inputSize);
      Gemm.gemm(true, false, h, o, b * t, 1f, dPreH, 0, h, yPrev, 0, o, 1f, weightYh.grad().data(), 0, o);
      Gemm.gemm(false, false, b * t, inputSize, h, 1f, dPreH, 0, h, weightIh.value().data(), 0, inputSize, 0f,
          dx.data(), 0, inputSize);
    }
    addColumnSums(dPreY, b * t, o, biasHy.grad().data());
    addColumnSums(dPreH, b * t, h, biasIh.grad().data());
    addColumnSums(dPreH, b * t, h, biasYh.grad().data());
    initialGrad = RnnState.of(Tensor.of(dContext, 1, b, o));
    return dx;
  }

  /** d(pre-activation) from d(output), using the saved outputs. */
  private void activationBackward(float[] out, int at, float[] dOut, float[] dPre, int preAt) {
    int o = outputSize;
    switch (activation) {
      case IDENTITY -> System.arraycopy(dOut, 0, dPre, preAt, o);
      case TANH -> Kernels.active().tanhBackward(out, at, dOut, 0, dPre, preAt, o);
      case SIGMOID -> Kernels.active().sigmoidBackward(out, at, dOut, 0, dPre, preAt, o);
      case SOFTMAX -> Kernels.scalar().softmaxBackward(out, at, dOut, 0, dPre, preAt, o); // in double, as Attention
    }
  }

  @Override
  public RnnState initialStateGrad() {
    if (initialGrad == null) {
      throw new IllegalStateException(this + ": initialStateGrad() called before backward");
    }
    return initialGrad;
  }

  private static void addColumnSums(float[] x, int rows, int cols, float[] out) {
    double[] sums = new double[cols];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < cols; j++) {
        sums[j] += x[r * cols + j];
      }
    }
    for (int j = 0; j < cols; j++) {
      out[j] += (float) sums[j];
    }
  }

  private int[] checkLengths(int[] lens, int b, int t) {
    return SequenceLengths.check(this, lens, b, t);
  }


  /** The state's y, checked against (1, B, O); a Jordan network has no cell state. */
  private Tensor checkState(RnnState state, int b, String what) {
    if (state == null) {
      return null;
    }
    if (state.c() != null) {
      throw new IllegalArgumentException(this + ": " + what + " has a cell state c, but this layer has none");
    }
    Tensor s = state.h();
    if (s != null && !s.hasShape(1, b, outputSize)) {
      throw new IllegalArgumentException(this + ": expected " + what + " (the previous output y) of shape [1, " + b
          + ", " + outputSize + "], got " + s.shapeString());
    }
    return s;
  }

  /** The same network with fresh weights, its parameter names ending in {@code suffix}. */
  JordanRnn twin(String newSuffix, Rng rng) {
    return new JordanRnn(inputSize, hiddenSize, outputSize, activation, newSuffix, rng);
  }

  String suffix() {
    return suffix;
  }

  @Override
  public String toString() {
    return "JordanRnn(input=" + inputSize + ", hidden=" + hiddenSize + ", output=" + outputSize + ", "
        + activation.name().toLowerCase() + ")";
  }
}
