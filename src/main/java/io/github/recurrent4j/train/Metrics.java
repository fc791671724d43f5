package io.github.recurrent4j.train;

import io.github.recurrent4j.tensor.Tensor;

/** Classification and regression metrics over model outputs. Span F1 for tagging is {@link SpanF1}. */
public final class Metrics {
  private Metrics() {}

  /** The index of the largest logit of row i (the first on ties). */
  public static int argmax(Tensor logits, int row) {
    int c = logits.dim(-1);
    float[] x = logits.data();
    int best = 0;
    for (int j = 1; j < c; j++) {
      if (x[row * c + j] > x[row * c + best]) {
        best = j;
      }
    }
    return best;
  }

  /** The fraction of rows of {@code [N, C]} logits whose argmax is the target. */
  public static double accuracy(Tensor logits, int[] targets) {
    return tokenAccuracy(logits, targets, null);
  }

  /**
   * The fraction of counted positions whose argmax is the target: all N of {@code [N, C]}, or of
   * {@code [B, T, C]} the steps within each row's length. NaN when nothing counts.
   */
  public static double tokenAccuracy(Tensor logits, int[] targets, int[] lengths) {
    if (logits == null || targets == null || logits.rank() < 2) {
      throw new IllegalArgumentException("Metrics: needs logits [N, C] or [B, T, C] and targets");
    }
    int n = logits.size() / logits.dim(-1);
    if (targets.length != n) {
      throw new IllegalArgumentException("Metrics: logits " + logits.shapeString() + " need " + n + " targets, got "
          + targets.length);
    }
    if (lengths != null && (logits.rank() != 3 || lengths.length != logits.dim(0))) {
      throw new IllegalArgumentException("Metrics: lengths need logits [B, T, C] and one length per row");
    }
    int steps = logits.rank() == 3 ? logits.dim(1) : 1;
    long right = 0;
    long counted = 0;
    for (int i = 0; i < n; i++) {
      if (lengths != null && i % steps >= lengths[i / steps]) {
        continue;
      }
      counted++;
      if (argmax(logits, i) == targets[i]) {
        right++;
      }
    }
    return counted == 0 ? Double.NaN : (double) right / counted;
  }

  /** The mean of (prediction - target)² over all elements, in double. */
  public static double meanSquaredError(Tensor prediction, Tensor target) {
    if (prediction == null || target == null || !prediction.hasShape(target.shape())) {
      throw new IllegalArgumentException("Metrics: prediction and target must have the same shape");
    }
    double sum = 0;
    for (int i = 0; i < prediction.size(); i++) {
      double d = (double) prediction.data()[i] - target.data()[i];
      sum += d * d;
    }
    return sum / Math.max(1, prediction.size());
  }
}
