package io.github.recurrent4j.loss;

import io.github.recurrent4j.tensor.Tensor;

/**
 * {@code torch.nn.MSELoss}: {@code loss = mean((prediction - target)²)} (or the sum), summed in
 * double; {@link #backward()} gives d(loss)/d(prediction) from the last {@link #forward}.
 */
public final class MeanSquaredError {
  private final Reduction reduction;
  private Tensor prediction;
  private Tensor target;

  public MeanSquaredError() {
    this(Reduction.MEAN);
  }

  public MeanSquaredError(Reduction reduction) {
    if (reduction == null) {
      throw new IllegalArgumentException("MeanSquaredError: reduction must not be null");
    }
    this.reduction = reduction;
  }

  /** The loss; a non-finite input gives a non-finite loss, which the caller should treat as an error. */
  public double forward(Tensor prediction, Tensor target) {
    if (prediction == null || target == null) {
      throw new IllegalArgumentException("MeanSquaredError: prediction and target must not be null");
    }
    if (!prediction.hasShape(target.shape())) {
      throw new IllegalArgumentException("MeanSquaredError: prediction of shape " + prediction.shapeString()
          + " and target of shape " + target.shapeString() + " differ; nothing is broadcast");
    }
    float[] p = prediction.data();
    float[] t = target.data();
    // four partial sums in double, so the additions do not wait on each other
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = 0;
    for (; i + 4 <= p.length; i += 4) {
      double d0 = (double) p[i] - t[i];
      double d1 = (double) p[i + 1] - t[i + 1];
      double d2 = (double) p[i + 2] - t[i + 2];
      double d3 = (double) p[i + 3] - t[i + 3];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; i < p.length; i++) {
      double d = (double) p[i] - t[i];
      s0 += d * d;
    }
    double sum = (s0 + s1) + (s2 + s3);
    this.prediction = prediction;
    this.target = target;
    // as PyTorch: the mean over no elements is NaN
    return reduction == Reduction.SUM ? sum : p.length == 0 ? Double.NaN : sum / p.length;
  }

  /** d(loss)/d(prediction) = 2 (prediction - target) / n for the mean, without the 1/n for the sum. */
  public Tensor backward() {
    checkForward();
    return backward(Tensor.zerosLike(prediction));
  }

  /**
   * As {@link #backward()}, but writes the gradient into {@code out} (the prediction's shape, every
   * element overwritten) and returns it, like PyTorch's {@code out=}; {@code out} may be the
   * prediction itself.
   */
  public Tensor backward(Tensor out) {
    checkForward();
    if (out == null || !out.hasShape(prediction.shape())) {
      throw new IllegalArgumentException("MeanSquaredError: expected out of the prediction's shape "
          + prediction.shapeString() + ", got " + (out == null ? "null" : out.shapeString()));
    }
    float[] p = prediction.data();
    float[] t = target.data();
    float[] g = out.data();
    float scale = reduction == Reduction.SUM ? 2f : 2f / Math.max(1, p.length);
    for (int i = 0; i < p.length; i++) {
      g[i] = scale * (p[i] - t[i]);
    }
    return out;
  }

  private void checkForward() {
    if (prediction == null) {
      throw new IllegalStateException("MeanSquaredError: backward called before forward");
    }
  }
}
