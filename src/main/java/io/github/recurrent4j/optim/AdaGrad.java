package io.github.recurrent4j.optim;

import io.github.recurrent4j.nn.Parameter;
import java.util.List;

/**
 * AdaGrad as {@code torch.optim.Adagrad}:
 * <pre>
 *   g = grad + weightDecay · p      lr_t = lr / (1 + (t - 1) · lrDecay)
 *   s += g²                          p -= lr_t · g / (sqrt(s) + eps)
 * </pre>
 * PyTorch's defaults: lr 0.01, no decays, initial accumulator 0, eps 1e-10.
 */
public final class AdaGrad extends Optimizer {
  public record Options(double lr, double lrDecay, double weightDecay, double initialAccumulator, double eps) {
    public Options {
      if (!(lr >= 0) || !(lrDecay >= 0) || !(weightDecay >= 0) || !(initialAccumulator >= 0) || !(eps >= 0)) {
        throw new IllegalArgumentException("AdaGrad.Options: every option must be >= 0, got lr=" + lr + ", lrDecay="
            + lrDecay + ", weightDecay=" + weightDecay + ", initialAccumulator=" + initialAccumulator + ", eps=" + eps);
      }
    }

    public static Options defaults() {
      return new Options(0.01, 0, 0, 0, 1e-10);
    }
  }

  private final Options options;
  private final float[][] sum;

  public AdaGrad(List<Parameter> parameters, Options options) {
    super(parameters);
    if (options == null) {
      throw new IllegalArgumentException("AdaGrad: options must not be null");
    }
    this.options = options;
    this.lr = options.lr();
    sum = buffer("sum", (float) options.initialAccumulator());
  }

  @Override
  public void step() {
    long step = ++steps;
    float clr = (float) (lr / (1 + (step - 1) * options.lrDecay()));
    float decay = (float) options.weightDecay();
    float eps = (float) options.eps();
    for (int i = 0; i < parameters.size(); i++) {
      float[] p = parameters.get(i).value().data();
      float[] gr = parameters.get(i).grad().data();
      float[] s = sum[i];
      for (int j = 0; j < p.length; j++) {
        float g = decay != 0f ? gr[j] + decay * p[j] : gr[j];
        s[j] += g * g;
        float std = (float) Math.sqrt(s[j]) + eps;
        p[j] += -clr * (g / std);
      }
    }
  }
}
