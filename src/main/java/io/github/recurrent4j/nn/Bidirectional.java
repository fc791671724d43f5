package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Parallel;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads each sequence both ways, as PyTorch's {@code bidirectional=True}: a forward layer over the
 * sequence and a twin over each row's valid steps reversed, so with lengths the reverse direction
 * starts at the row's last valid step (as packed sequences do), never at padding.
 * <pre>
 *   yF = forward(x)        yR = reverse(backward(reverse(x)))        y = merge(yF, yR)
 * </pre>
 * Shapes: x (B, T, I); y (B, T, 2H) for {@link Merge#CONCAT} (forward features first) and
 * (B, T, H) otherwise; states (2, B, H), forward direction first. The twin's parameters carry
 * PyTorch's {@code _reverse} suffix, so the state dict is that of {@code nn.LSTM(bidirectional=True)}.
 */
public final class Bidirectional implements StatefulSequenceLayer {
  /** How the two directions' outputs combine, as Keras' {@code merge_mode}. */
  public enum Merge { CONCAT, SUM, MUL, AVERAGE }

  private final StatefulSequenceLayer forwardLayer;
  private final StatefulSequenceLayer backwardLayer;
  private final int stateWidth; // H of the (2, B, H) states
  private final Merge merge;
  private int[] lengths; // (B) of the last forward
  private Tensor yForward; // (B, T, H)
  private Tensor yReverse; // (B, T, H), in the input's time order

  /** Concatenating merge; the reverse twin is initialised from the default generator. */
  public Bidirectional(SequenceLayer forwardLayer) {
    this(forwardLayer, Merge.CONCAT, Rng.fromDefault());
  }

  public Bidirectional(SequenceLayer forwardLayer, Merge merge, Rng rng) {
    if (merge == null) {
      throw new IllegalArgumentException("Bidirectional: merge must not be null");
    }
    if (forwardLayer instanceof RecurrentLayer recurrent) {
      this.backwardLayer = recurrent.twin(recurrent.suffix() + "_reverse", rng);
      this.stateWidth = recurrent.outputSize();
    } else if (forwardLayer instanceof JordanRnn jordan) {
      this.backwardLayer = jordan.twin(jordan.suffix() + "_reverse", rng);
      this.stateWidth = jordan.outputSize();
    } else {
      throw new IllegalArgumentException("Bidirectional: needs a recurrent layer (SimpleRnn, JordanRnn, Lstm, Gru),"
          + " got " + forwardLayer);
    }
    this.forwardLayer = (StatefulSequenceLayer) forwardLayer;
    this.merge = merge;
  }

  public StatefulSequenceLayer forwardLayer() {
    return forwardLayer;
  }

  public StatefulSequenceLayer backwardLayer() {
    return backwardLayer;
  }

  /** The training forward from an initial state of shape (2, B, H) ({@code null} for zeros). */
  @Override
  public Tensor forward(Tensor x, int[] lengths, RnnState initial) {
    return LayerErrors.within(this, () -> checkedForward(x, lengths, initial));
  }

  private Tensor checkedForward(Tensor x, int[] lengths, RnnState initial) {
    RnnState[] init = split(initial, "initial state");
    int[] lens = lengthsOf(x, lengths);
    Tensor[] y = new Tensor[2];
    bothDirections(() -> y[0] = forwardLayer.forward(x, lengths, init[0]),
        () -> y[1] = reverse(backwardLayer.forward(reverse(x, lens), lens, init[1]), lens));
    yForward = y[0];
    yReverse = y[1];
    this.lengths = lens;
    return merge(yForward, yReverse);
  }

  /**
   * The inference forward: the same numbers as {@link #forward(Tensor, int[], RnnState)}, keeping
   * nothing, safe on many threads at once while nobody trains the layer.
   */
  public RecurrentLayer.Result infer(Tensor x, int[] lengths, RnnState initial) {
    return LayerErrors.within(this, () -> checkedInfer(x, lengths, initial));
  }

  private RecurrentLayer.Result checkedInfer(Tensor x, int[] lengths, RnnState initial) {
    RnnState[] init = split(initial, "initial state");
    int[] lens = lengthsOf(x, lengths);
    RecurrentLayer.Result[] run = new RecurrentLayer.Result[2];
    bothDirections(() -> run[0] = inferOf(forwardLayer, x, lengths, init[0]),
        () -> run[1] = inferOf(backwardLayer, reverse(x, lens), lens, init[1]));
    return new RecurrentLayer.Result(merge(run[0].output(), run[1].output(), lens),
        stack(run[0].finalState(), run[1].finalState()));
  }

  private static RecurrentLayer.Result inferOf(StatefulSequenceLayer layer, Tensor x, int[] lengths, RnnState initial) {
    return layer instanceof JordanRnn jordan ? jordan.infer(x, lengths, initial)
        : ((RecurrentLayer) layer).infer(x, lengths, initial);
  }

  /** The final states, (2, B, H): the forward direction's at each row's last valid step, the reverse one's at step 0. */
  @Override
  public RnnState finalState() {
    return stack(forwardLayer.finalState(), backwardLayer.finalState());
  }

  /** Backpropagation through both directions; the initial state's gradient is then {@link #initialStateGrad()}. */
  @Override
  public Tensor backward(Tensor dy, RnnState gradFinal) {
    return LayerErrors.within(this, () -> checkedBackward(dy, gradFinal));
  }

  private Tensor checkedBackward(Tensor dy, RnnState gradFinal) {
    if (yForward == null) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    int b = yForward.dim(0);
    int t = yForward.dim(1);
    int h = yForward.dim(2);
    int width = merge == Merge.CONCAT ? 2 * h : h;
    if (dy == null || !dy.hasShape(b, t, width)) {
      throw new IllegalArgumentException(this + ": expected gradOutput of shape [" + b + ", " + t + ", " + width
          + "], got " + (dy == null ? "null" : dy.shapeString()));
    }
    RnnState[] dFinal = split(gradFinal, "final state gradient");
    Tensor dyF = Tensor.zeros(b, t, h);
    Tensor dyR = Tensor.zeros(b, t, h);
    float[] g = dy.data();
    float[] yf = yForward.data();
    float[] yr = yReverse.data();
    for (int row = 0; row < b * t; row++) {
      for (int j = 0; j < h; j++) {
        int at = row * h + j;
        switch (merge) {
          case CONCAT -> {
            dyF.data()[at] = g[row * 2 * h + j];
            dyR.data()[at] = g[row * 2 * h + h + j];
          }
          case SUM -> {
            dyF.data()[at] = g[at];
            dyR.data()[at] = g[at];
          }
          case AVERAGE -> {
            dyF.data()[at] = 0.5f * g[at];
            dyR.data()[at] = 0.5f * g[at];
          }
          case MUL -> {
            dyF.data()[at] = g[at] * yr[at];
            dyR.data()[at] = g[at] * yf[at];
          }
        }
      }
    }
    Tensor[] grads = new Tensor[2];
    bothDirections(() -> grads[0] = forwardLayer.backward(dyF, dFinal[0]),
        () -> grads[1] = reverse(backwardLayer.backward(reverse(dyR, lengths), dFinal[1]), lengths));
    Tensor dx = grads[0];
    Tensor dxReverse = grads[1];
    for (int i = 0; i < dx.size(); i++) {
      dx.data()[i] += dxReverse.data()[i];
    }
    return dx;
  }

  /**
   * Runs the two directions, which share nothing, as two tasks: on two threads when the library
   * may use them (each direction's own kernels then run on its thread). Every kernel gives the
   * same bits for any thread count, so the result does not depend on this.
   */
  private static void bothDirections(Runnable forward, Runnable reverse) {
    if (Parallel.threads() < 2) {
      forward.run();
      reverse.run();
    } else {
      Parallel.run(2, direction -> (direction == 0 ? forward : reverse).run());
    }
  }

  /** d(loss)/d(initial state), (2, B, H), from the last backward. */
  @Override
  public RnnState initialStateGrad() {
    return stack(forwardLayer.initialStateGrad(), backwardLayer.initialStateGrad());
  }

  private Tensor merge(Tensor f, Tensor r) {
    return merge(f, r, null);
  }

  /**
   * The two directions' outputs merged step by step. The reverse direction's output for step s is
   * {@code r[b, s]}, or with {@code reversedLengths} {@code r[b, len_b - 1 - s]} (r still in the
   * order that direction ran, zero past a row's length): the reversal folded into the merge.
   */
  private Tensor merge(Tensor f, Tensor r, int[] reversedLengths) {
    int b = f.dim(0);
    int t = f.dim(1);
    int h = f.dim(2);
    int width = merge == Merge.CONCAT ? 2 * h : h;
    Tensor y = Tensor.zeros(b, t, width);
    float[] out = y.data();
    float[] fd = f.data();
    float[] rd = r.data();
    for (int row = 0; row < b; row++) {
      int len = reversedLengths == null ? t : reversedLengths[row];
      for (int step = 0; step < t; step++) {
        int fAt = (row * t + step) * h;
        int rAt = reversedLengths == null ? fAt : step < len ? (row * t + len - 1 - step) * h : -1; // -1: zeros
        int at = (row * t + step) * width;
        if (merge == Merge.CONCAT) {
          System.arraycopy(fd, fAt, out, at, h);
          if (rAt >= 0) {
            System.arraycopy(rd, rAt, out, at + h, h);
          }
          continue;
        }
        for (int j = 0; j < h; j++) {
          float a = fd[fAt + j];
          float c = rAt >= 0 ? rd[rAt + j] : 0f;
          out[at + j] = switch (merge) {
            case SUM -> a + c;
            case AVERAGE -> 0.5f * (a + c);
            default -> a * c; // MUL
          };
        }
      }
    }
    return y;
  }

  /** Reverses each row's first lengths[b] steps; steps past a row's length stay zero. */
  static Tensor reverse(Tensor x, int[] lengths) {
    int b = x.dim(0);
    int t = x.dim(1);
    int f = x.dim(2);
    Tensor out = Tensor.zeros(b, t, f);
    for (int row = 0; row < b; row++) {
      int len = lengths[row];
      for (int step = 0; step < len; step++) {
        System.arraycopy(x.data(), (row * t + step) * f, out.data(), (row * t + len - 1 - step) * f, f);
      }
    }
    return out;
  }

  /** Checks the input and the lengths before either direction starts, and gives every row's length. */
  private int[] lengthsOf(Tensor x, int[] lengths) {
    if (x == null || x.rank() != 3) {
      throw new IllegalArgumentException(this + ": expected input [batch, time, features], got "
          + (x == null ? "null" : x.shapeString()));
    }
    if (lengths != null) {
      return SequenceLengths.check(this, lengths, x.dim(0), x.dim(1)).clone();
    }
    int[] all = new int[x.dim(0)];
    java.util.Arrays.fill(all, x.dim(1));
    return all;
  }

  /** Splits a (2, B, H) state into the two directions' (1, B, H) states. */
  private RnnState[] split(RnnState state, String what) {
    if (state == null) {
      return new RnnState[2];
    }
    Tensor[] h = splitTensor(state.h(), what + " h");
    Tensor[] c = splitTensor(state.c(), what + " c");
    return new RnnState[] {new RnnState(h[0], c[0]), new RnnState(h[1], c[1])};
  }

  private Tensor[] splitTensor(Tensor s, String what) {
    if (s == null) {
      return new Tensor[2];
    }
    if (s.rank() != 3 || s.dim(0) != 2) {
      throw new IllegalArgumentException(this + ": expected " + what + " of shape [2, batch, " + stateWidth
          + "], got " + s.shapeString());
    }
    int half = s.size() / 2;
    return new Tensor[] {
        Tensor.of(java.util.Arrays.copyOfRange(s.data(), 0, half), 1, s.dim(1), s.dim(2)),
        Tensor.of(java.util.Arrays.copyOfRange(s.data(), half, 2 * half), 1, s.dim(1), s.dim(2))};
  }

  private static RnnState stack(RnnState f, RnnState r) {
    return new RnnState(stackTensor(f.h(), r.h()), f.c() == null ? null : stackTensor(f.c(), r.c()));
  }

  private static Tensor stackTensor(Tensor f, Tensor r) {
    float[] both = new float[f.size() * 2];
    System.arraycopy(f.data(), 0, both, 0, f.size());
    System.arraycopy(r.data(), 0, both, f.size(), r.size());
    return Tensor.of(both, 2, f.dim(1), f.dim(2));
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> all = new ArrayList<>(forwardLayer.parameters());
    all.addAll(backwardLayer.parameters());
    return all;
  }

  @Override
  public String toString() {
    return "Bidirectional(" + forwardLayer + (merge == Merge.CONCAT ? "" : ", " + merge.name().toLowerCase()) + ")";
  }
}
