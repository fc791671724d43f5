package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Tensor;
import java.util.List;

/**
 * Many-to-one heads: {@code [B, T, F] -> [B, F]} over each row's valid steps. A row of length 0
 * gives zeros. No parameters.
 * <ul>
 *   <li>{@link Mode#LAST}: the output at step {@code lengths[b] - 1};
 *   <li>{@link Mode#MEAN}: the mean over the valid steps;
 *   <li>{@link Mode#MAX}: the element-wise maximum over the valid steps (the gradient goes to the
 *       first step that reached it).
 * </ul>
 */
public final class SequencePooling implements SequenceLayer {
  /** Which summary of the valid steps. */
  public enum Mode { LAST, MEAN, MAX }

  private final Mode mode;
  private int[] shape; // [B, T, F] of the last forward
  private int[] lengths; // (B)
  private int[] argmax; // (B, F) the step each MAX output came from

  public SequencePooling(Mode mode) {
    if (mode == null) {
      throw new IllegalArgumentException("SequencePooling: mode must not be null");
    }
    this.mode = mode;
  }

  /** The output at each row's last valid step. */
  public static SequencePooling lastStep() {
    return new SequencePooling(Mode.LAST);
  }

  /** The mean over each row's valid steps. */
  public static SequencePooling mean() {
    return new SequencePooling(Mode.MEAN);
  }

  /** The maximum over each row's valid steps. */
  public static SequencePooling max() {
    return new SequencePooling(Mode.MAX);
  }

  @Override
  public Tensor forward(Tensor x, int[] lengths) {
    if (x == null || x.rank() != 3) {
      throw new IllegalArgumentException(this + ": expected input [batch, time, features], got "
          + (x == null ? "null" : x.shapeString()));
    }
    int b = x.dim(0);
    int t = x.dim(1);
    int f = x.dim(2);
    int[] lens = SequenceLengths.check(this, lengths, b, t);
    Tensor y = Tensor.zeros(b, f);
    float[] in = x.data();
    float[] out = y.data();
    argmax = mode == Mode.MAX ? new int[b * f] : null;
    for (int row = 0; row < b; row++) {
      int len = lens[row];
      if (len == 0) {
        continue;
      }
      switch (mode) {
        case LAST -> System.arraycopy(in, (row * t + len - 1) * f, out, row * f, f);
        case MEAN -> {
          for (int j = 0; j < f; j++) {
            double sum = 0;
            for (int s = 0; s < len; s++) {
              sum += in[(row * t + s) * f + j];
            }
            out[row * f + j] = (float) (sum / len);
          }
        }
        case MAX -> {
          for (int j = 0; j < f; j++) {
            int best = 0;
            for (int s = 1; s < len; s++) {
              if (in[(row * t + s) * f + j] > in[(row * t + best) * f + j]) {
                best = s;
              }
            }
            argmax[row * f + j] = best;
            out[row * f + j] = in[(row * t + best) * f + j];
          }
        }
      }
    }
    this.shape = x.shape();
    this.lengths = lens;
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    if (shape == null) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    int b = shape[0];
    int t = shape[1];
    int f = shape[2];
    if (dy == null || !dy.hasShape(b, f)) {
      throw new IllegalArgumentException(this + ": expected gradOutput of shape [" + b + ", " + f + "], got "
          + (dy == null ? "null" : dy.shapeString()));
    }
    Tensor dx = Tensor.zeros(shape);
    float[] g = dy.data();
    float[] out = dx.data();
    for (int row = 0; row < b; row++) {
      int len = lengths[row];
      if (len == 0) {
        continue;
      }
      for (int j = 0; j < f; j++) {
        float gj = g[row * f + j];
        switch (mode) {
          case LAST -> out[(row * t + len - 1) * f + j] = gj;
          case MEAN -> {
            float share = gj / len;
            for (int s = 0; s < len; s++) {
              out[(row * t + s) * f + j] = share;
            }
          }
          case MAX -> out[(row * t + argmax[row * f + j]) * f + j] = gj;
        }
      }
    }
    return dx;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of();
  }

  @Override
  public String toString() {
    return "SequencePooling(" + mode.name().toLowerCase() + ")";
  }
}
