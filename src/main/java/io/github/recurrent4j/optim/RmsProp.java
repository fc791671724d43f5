package io.github.recurrent4j.optim;

import io.github.recurrent4j.nn.Parameter;
import java.util.List;

/**
 * RMSprop as {@code torch.optim.RMSprop}:
 * <pre>
 *   g = grad + weightDecay · p
 *   s = α s + (1 - α) g²                   (centered: a = α a + (1 - α) g, and s - a² below)
 *   den = sqrt(s) + eps
 *   p -= lr · g / den                       (with momentum: b = momentum · b + g / den, p -= lr · b)
 * </pre>
 * PyTorch's defaults: lr 0.01, α 0.99, eps 1e-8.
 */
public final class RmsProp extends Optimizer {
  public record Options(double lr, double alpha, double eps, double weightDecay, double momentum, boolean centered) {
    public Options {
      if (!(lr >= 0) || !(eps >= 0) || !(weightDecay >= 0) || !(momentum >= 0)) {
        throw new IllegalArgumentException("RmsProp.Options: lr, eps, weightDecay and momentum must be >= 0, got lr="
            + lr + ", eps=" + eps + ", weightDecay=" + weightDecay + ", momentum=" + momentum);
      }
      if (!(alpha >= 0 && alpha <= 1)) {
        throw new IllegalArgumentException("RmsProp.Options: alpha must be in [0, 1], got " + alpha);
      }
    }

    public static Options defaults() {
      return new Options(0.01, 0.99, 1e-8, 0, 0, false);
    }
  }

  private final Options options;
  private final float[][] squareAvg;
  private final float[][] gradAvg; // centered only
  private final float[][] momentumBuffer; // momentum only

  public RmsProp(List<Parameter> parameters, Options options) {
    super(parameters);
    if (options == null) {
      throw new IllegalArgumentException("RmsProp: options must not be null");
    }
    this.options = options;
    this.lr = options.lr();
    squareAvg = buffer("square_avg", 0f);
    gradAvg = options.centered() ? buffer("grad_avg", 0f) : null;
    momentumBuffer = options.momentum() > 0 ? buffer("momentum_buffer", 0f) : null;
  }

  @Override
  public void step() {
    steps++;
    float lr = (float) this.lr;
    float alpha = (float) options.alpha();
    float oneMinusAlpha = (float) (1 - options.alpha());
    float eps = (float) options.eps();
    float decay = (float) options.weightDecay();
    float momentum = (float) options.momentum();
    for (int i = 0; i < parameters.size(); i++) {
      float[] p = parameters.get(i).value().data();
      float[] gr = parameters.get(i).grad().data();
      float[] s = squareAvg[i];
      for (int j = 0; j < p.length; j++) {
        float g = decay != 0f ? gr[j] + decay * p[j] : gr[j];
        s[j] = s[j] * alpha + oneMinusAlpha * g * g;
        float den;
        if (gradAvg != null) {
          float[] a = gradAvg[i];
          a[j] = a[j] * alpha + oneMinusAlpha * g;
          den = (float) Math.sqrt(s[j] + -1f * a[j] * a[j]) + eps;
        } else {
          den = (float) Math.sqrt(s[j]) + eps;
        }
        if (momentumBuffer != null) {
          float[] b = momentumBuffer[i];
          b[j] = b[j] * momentum + g / den;
          p[j] += -lr * b[j];
        } else {
          p[j] += -lr * (g / den);
        }
      }
    }
  }
}
