package io.github.recurrent4j.optim;

import io.github.recurrent4j.nn.Parameter;
import java.util.List;

/**
 * Adam (Kingma &amp; Ba 2015) with {@code torch.optim.Adam}'s update rule and defaults, operation for
 * operation in float32, so a trajectory can be compared with PyTorch's step by step:
 * <pre>
 *   g = grad + weightDecay · p
 *   m = β1 m + (1 - β1) g            v = β2 v + (1 - β2) g²        (v̂ = max(v̂, v) with AMSGrad)
 *   p -= lr / (1 - β1^t) · m / (sqrt(v) / sqrt(1 - β2^t) + eps)
 * </pre>
 */
public class Adam extends Optimizer {
  /**
   * @param lr the learning rate (PyTorch: 1e-3)
   * @param beta1 the first moment's decay (0.9)
   * @param beta2 the second moment's decay (0.999)
   * @param eps added to the denominator (1e-8)
   * @param weightDecay L2 penalty added to the gradient (0)
   * @param amsgrad use the running maximum of v (false)
   */
  public record Options(double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
    public Options {
      if (!(lr >= 0) || !(eps >= 0) || !(weightDecay >= 0)) {
        throw new IllegalArgumentException("Adam.Options: lr, eps and weightDecay must be >= 0, got lr=" + lr
            + ", eps=" + eps + ", weightDecay=" + weightDecay);
      }
      if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
        throw new IllegalArgumentException("Adam.Options: betas must be in [0, 1), got beta1=" + beta1 + ", beta2="
            + beta2);
      }
    }

    /** PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay, no AMSGrad. */
    public static Options defaults() {
      return new Options(1e-3, 0.9, 0.999, 1e-8, 0, false);
    }

    public Options withLr(double value) {
      return new Options(value, beta1, beta2, eps, weightDecay, amsgrad);
    }

    public Options withWeightDecay(double value) {
      return new Options(lr, beta1, beta2, eps, value, amsgrad);
    }

    public Options withAmsgrad(boolean value) {
      return new Options(lr, beta1, beta2, eps, weightDecay, value);
    }
  }

  private final Options options;
  private final float[][] m; // per parameter, its shape: the first moment
  private final float[][] v; // the second moment
  private final float[][] vMax; // the running maximum of v, with AMSGrad

  public Adam(List<Parameter> parameters, Options options) {
    super(parameters);
    if (options == null) {
      throw new IllegalArgumentException("Adam: options must not be null");
    }
    this.options = options;
    this.lr = options.lr();
    m = buffer("exp_avg", 0f);
    v = buffer("exp_avg_sq", 0f);
    vMax = options.amsgrad() ? buffer("max_exp_avg_sq", 0f) : null;
  }

  /** With PyTorch's defaults and the given learning rate. */
  public Adam(List<Parameter> parameters, double lr) {
    this(parameters, Options.defaults().withLr(lr));
  }

  public Options options() {
    return options;
  }

  /** True for AdamW: the weight decay shrinks the parameter directly instead of joining the gradient. */
  protected boolean decoupledWeightDecay() {
    return false;
  }

  @Override
  public void step() {
    long step = ++steps;
    boolean decoupled = decoupledWeightDecay();
    float shrink = (float) (1 - lr * options.weightDecay()); // AdamW's p *= 1 - lr·λ
    float beta1 = (float) options.beta1();
    float beta2 = (float) options.beta2();
    float oneMinusBeta1 = (float) (1 - options.beta1()); // in double first, as PyTorch's Python floats
    float oneMinusBeta2 = (float) (1 - options.beta2());
    float decay = (float) options.weightDecay();
    float eps = (float) options.eps();
    // PyTorch computes the bias corrections in double (Python floats) and applies them as float32 scalars.
    double biasCorrection1 = 1 - Math.pow(options.beta1(), step);
    double biasCorrection2 = 1 - Math.pow(options.beta2(), step);
    float stepSize = (float) (lr / biasCorrection1);
    float bc2Sqrt = (float) Math.sqrt(biasCorrection2);
    for (int i = 0; i < parameters.size(); i++) {
      float[] p = parameters.get(i).value().data();
      float[] g = parameters.get(i).grad().data();
      float[] mi = m[i];
      float[] vi = v[i];
      float[] vm = vMax == null ? null : vMax[i];
      for (int j = 0; j < p.length; j++) {
        if (decoupled) {
          p[j] *= shrink;
        }
        float grad = decay != 0f && !decoupled ? g[j] + decay * p[j] : g[j];
        mi[j] = mi[j] * beta1 + oneMinusBeta1 * grad;
        vi[j] = vi[j] * beta2 + oneMinusBeta2 * grad * grad;
        float second = vi[j];
        if (vm != null) {
          vm[j] = Math.max(vm[j], vi[j]);
          second = vm[j];
        }
        float denom = (float) Math.sqrt(second) / bc2Sqrt + eps;
        p[j] += -stepSize * (mi[j] / denom);
      }
    }
  }
}
