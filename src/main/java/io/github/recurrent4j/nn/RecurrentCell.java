package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * One time step of a recurrent layer, for loops the caller writes (an attentive decoder whose input
 * at step t depends on step t-1). Numerics and parameter names are PyTorch's {@code nn.RNNCell},
 * {@code nn.LSTMCell} and {@code nn.GRUCell}: {@code weight_ih}, {@code weight_hh}, {@code bias_ih},
 * {@code bias_hh}.
 *
 * <p>Each {@link #forward} step is remembered; each {@link #backward} takes back the latest one.
 * Calling backward on the steps in reverse order, adding each returned state gradient into the
 * gradient of the previous step's output, accumulates the gradients through time. Shapes: x (B, I),
 * states (B, H).
 */
public abstract class RecurrentCell implements Module {
  private final RecurrentLayer step; // the one-step machinery; owns the parameters
  private final Deque<RecurrentLayer.Run> tape = new ArrayDeque<>();

  /** The gradients one backward step gives: of the input and of the state the step started from. */
  public record Gradients(Tensor input, RnnState state) {}

  RecurrentCell(RecurrentLayer step) {
    this.step = step;
  }

  /**
   * Drops both biases, as PyTorch's {@code bias=False}: held at zero, no gradient, not in
   * {@link #parameters()} or the state dict. Returns this cell.
   */
  public RecurrentCell withoutBias() {
    step.withoutBias();
    return this;
  }

  /** False after {@link #withoutBias()}. */
  public boolean hasBias() {
    return step.hasBias();
  }

  public int inputSize() {
    return step.inputSize();
  }

  public int hiddenSize() {
    return step.hiddenSize();
  }

  /** One training step from {@code state} ({@code null} or null components mean zeros); returns the new state. */
  public RnnState forward(Tensor x, RnnState state) {
    RecurrentLayer.Run r = runStep(x, state);
    tape.push(r);
    return newState(r);
  }

  /** One step that remembers nothing, for inference; safe on many threads at once while nobody trains. */
  public RnnState infer(Tensor x, RnnState state) {
    return newState(runStep(x, state));
  }

  private RecurrentLayer.Run runStep(Tensor x, RnnState state) {
    if (x == null || x.rank() != 2 || x.dim(1) != step.inputSize()) {
      throw new IllegalArgumentException(this + ": expected input [batch, " + step.inputSize() + "], got "
          + (x == null ? "null" : x.shapeString()));
    }
    int b = x.dim(0);
    RnnState initial = state == null ? null : new RnnState(asLayerState(state.h(), b, "state h"),
        asLayerState(state.c(), b, "state c"));
    step.checkState(initial, b, "state");
    RecurrentLayer.Run r = step.newRun(b, 1);
    int[] ones = new int[b];
    java.util.Arrays.fill(ones, 1);
    step.run(r, x.reshape(b, 1, step.inputSize()), ones, initial, new float[b * step.outputSize()]);
    return r;
  }

  private RnnState newState(RecurrentLayer.Run r) {
    Tensor c = step.cellFinal(r);
    return new RnnState(Tensor.of(r.h.clone(), r.batch, step.hiddenSize()),
        c == null ? null : c.reshape(r.batch, step.hiddenSize()));
  }

  /**
   * Takes back the latest remembered step: from the gradient of the state it produced, adds into
   * the parameters' gradients and returns the gradients of its input and of the state it started from.
   */
  public Gradients backward(RnnState gradNewState) {
    if (tape.isEmpty()) {
      throw new IllegalStateException(this + ": backward called with no remembered forward step");
    }
    if (gradNewState == null) {
      throw new IllegalArgumentException(this + ": the gradient of the new state must not be null");
    }
    RecurrentLayer.Run r = tape.peek();
    int b = r.batch;
    RnnState grad = new RnnState(asLayerState(gradNewState.h(), b, "state gradient h"),
        asLayerState(gradNewState.c(), b, "state gradient c"));
    Tensor dx = step.backward(r, Tensor.zeros(b, 1, step.hiddenSize()), grad, null);
    tape.pop();
    Tensor dc = step.cellInitialGrad(r);
    return new Gradients(dx.reshape(b, step.inputSize()), new RnnState(
        Tensor.of(r.dh.clone(), b, step.hiddenSize()), dc == null ? null : dc.reshape(b, step.hiddenSize())));
  }

  /** Forgets every remembered step (their gradients will not be needed). */
  public void clearSteps() {
    tape.clear();
  }

  /** The number of remembered steps that backward can still take back. */
  public int rememberedSteps() {
    return tape.size();
  }

  private Tensor asLayerState(Tensor s, int b, String what) {
    if (s == null) {
      return null;
    }
    if (!s.hasShape(b, step.hiddenSize())) {
      throw new IllegalArgumentException(this + ": expected " + what + " of shape [" + b + ", " + step.hiddenSize()
          + "], got " + s.shapeString());
    }
    return s.reshape(1, b, step.hiddenSize());
  }

  @Override
  public List<Parameter> parameters() {
    return step.parameters();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(input=" + step.inputSize() + ", hidden=" + step.hiddenSize() + ")";
  }
}
