package io.github.recurrent4j.loss;

import io.github.recurrent4j.kernel.FloatMath;
import io.github.recurrent4j.tensor.Tensor;

/**
 * {@code torch.nn.BCEWithLogitsLoss}: the sigmoid and the binary cross-entropy in one stable form,
 * <pre>
 *   term = max(x, 0) - x·y + log(1 + exp(-|x|))        d(term)/dx = σ(x) - y
 * </pre>
 * finite for logits of any size; mean over all elements or their sum, in double.
 */
public final class BinaryCrossEntropyWithLogits {
  private final Reduction reduction;
  private Tensor logits;
  private Tensor targets;

  public BinaryCrossEntropyWithLogits() {
    this(Reduction.MEAN);
  }

  public BinaryCrossEntropyWithLogits(Reduction reduction) {
    if (reduction == null) {
      throw new IllegalArgumentException("BinaryCrossEntropyWithLogits: reduction must not be null");
    }
    this.reduction = reduction;
  }

  /** Logits and targets (probabilities in [0, 1]) of the same shape. */
  public double forward(Tensor logits, Tensor targets) {
    if (logits == null || targets == null) {
      throw new IllegalArgumentException("BinaryCrossEntropyWithLogits: logits and targets must not be null");
    }
    if (!logits.hasShape(targets.shape())) {
      throw new IllegalArgumentException("BinaryCrossEntropyWithLogits: logits of shape " + logits.shapeString()
          + " and targets of shape " + targets.shapeString() + " differ; nothing is broadcast");
    }
    double sum = 0;
    float[] x = logits.data();
    float[] y = targets.data();
    for (int i = 0; i < x.length; i++) {
      double xi = x[i];
      sum += Math.max(xi, 0) - xi * y[i] + Math.log1p(Math.exp(-Math.abs(xi)));
    }
    this.logits = logits;
    this.targets = targets;
    return reduction == Reduction.SUM ? sum : sum / Math.max(1, x.length);
  }

  /** d(loss)/d(logits) = (σ(x) - y), divided by the element count for the mean. */
  public Tensor backward() {
    if (logits == null) {
      throw new IllegalStateException("BinaryCrossEntropyWithLogits: backward called before forward");
    }
    Tensor g = Tensor.zerosLike(logits);
    float[] x = logits.data();
    float[] y = targets.data();
    float scale = reduction == Reduction.SUM ? 1f : 1f / Math.max(1, x.length);
    for (int i = 0; i < x.length; i++) {
      g.data()[i] = (FloatMath.sigmoid(x[i]) - y[i]) * scale;
    }
    return g;
  }
}
