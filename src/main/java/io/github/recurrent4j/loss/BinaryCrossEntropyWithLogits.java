package io.github.recurrent4j.loss;

import io.github.recurrent4j.kernel.FloatMath;
import io.github.recurrent4j.tensor.Tensor;

/**
 * {@code torch.nn.BCEWithLogitsLoss}: the sigmoid and the binary cross-entropy in one stable form,
 * <pre>
 *   term = max(x, 0) - x·y + log(1 + exp(-|x|))        d(term)/dx = σ(x) - y
 * </pre>
 * finite for logits of any size; mean over all elements or their sum, in double. With PyTorch's
 * {@code pos_weight} p (one weight per class, the last dimension, broadcast over the others) the
 * positive part is weighted: with w = 1 + (p - 1)·y,
 * <pre>
 *   term = (1 - y)·x + w·(max(-x, 0) + log(1 + exp(-|x|)))        d(term)/dx = (1 - y) - w·σ(-x)
 * </pre>
 */
public final class BinaryCrossEntropyWithLogits {
  private final Reduction reduction;
  private final float[] posWeight; // (C) or null
  private Tensor logits;
  private Tensor targets;

  public BinaryCrossEntropyWithLogits() {
    this(Reduction.MEAN);
  }

  public BinaryCrossEntropyWithLogits(Reduction reduction) {
    this(reduction, null);
  }

  /**
   * @param posWeight PyTorch's {@code pos_weight}: one finite, non-negative weight per class (the
   *     logits' last dimension), copied; null for none
   */
  public BinaryCrossEntropyWithLogits(Reduction reduction, float[] posWeight) {
    if (reduction == null) {
      throw new IllegalArgumentException("BinaryCrossEntropyWithLogits: reduction must not be null");
    }
    if (posWeight != null) {
      for (int c = 0; c < posWeight.length; c++) {
        if (!(Float.isFinite(posWeight[c]) && posWeight[c] >= 0)) {
          throw new IllegalArgumentException("BinaryCrossEntropyWithLogits: pos_weight must be finite and >= 0, got "
              + posWeight[c] + " for class " + c);
        }
      }
    }
    this.reduction = reduction;
    this.posWeight = posWeight == null ? null : posWeight.clone();
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
    int classes = logits.rank() == 0 ? 1 : logits.dim(-1);
    if (posWeight != null && posWeight.length != classes) {
      throw new IllegalArgumentException("BinaryCrossEntropyWithLogits: " + posWeight.length + " pos_weight values for"
          + " logits with " + classes + " classes (last dimension) " + logits.shapeString());
    }
    double sum = 0;
    float[] x = logits.data();
    float[] y = targets.data();
    for (int i = 0; i < x.length; i++) {
      double xi = x[i];
      double softplus = Math.log1p(Math.exp(-Math.abs(xi)));
      if (posWeight == null) {
        sum += Math.max(xi, 0) - xi * y[i] + softplus;
      } else {
        double w = 1 + (posWeight[i % classes] - 1) * (double) y[i];
        sum += (1 - y[i]) * xi + w * (Math.max(-xi, 0) + softplus);
      }
    }
    this.logits = logits;
    this.targets = targets;
    // as PyTorch: the mean over no elements is NaN
    return reduction == Reduction.SUM ? sum : x.length == 0 ? Double.NaN : sum / x.length;
  }

  /** d(loss)/d(logits) = (σ(x) - y) (weighted as above with pos_weight), divided by the element count for the mean. */
  public Tensor backward() {
    if (logits == null) {
      throw new IllegalStateException("BinaryCrossEntropyWithLogits: backward called before forward");
    }
    Tensor g = Tensor.zerosLike(logits);
    float[] x = logits.data();
    float[] y = targets.data();
    float scale = reduction == Reduction.SUM ? 1f : 1f / Math.max(1, x.length);
    int classes = posWeight == null ? 1 : posWeight.length;
    for (int i = 0; i < x.length; i++) {
      if (posWeight == null) {
        g.data()[i] = (FloatMath.sigmoid(x[i]) - y[i]) * scale;
      } else {
        float w = 1 + (posWeight[i % classes] - 1) * y[i];
        g.data()[i] = ((1 - y[i]) - w * FloatMath.sigmoid(-x[i])) * scale;
      }
    }
    return g;
  }
}
