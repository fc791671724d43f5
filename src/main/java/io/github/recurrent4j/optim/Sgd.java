package io.github.recurrent4j.optim;

import io.github.recurrent4j.nn.Parameter;
import java.util.List;

/**
 * Stochastic gradient descent as {@code torch.optim.SGD}:
 * <pre>
 *   d = grad + weightDecay · p
 *   b = d (first step), then b = momentum · b + (1 - dampening) · d        (with momentum)
 *   d = nesterov ? d + momentum · b : b
 *   p -= lr · d
 * </pre>
 */
public final class Sgd extends Optimizer {
  /**
   * @param lr the learning rate (PyTorch requires one)
   * @param momentum 0 for none
   * @param dampening of the momentum
   * @param weightDecay L2 penalty added to the gradient
   * @param nesterov Nesterov momentum (needs momentum > 0 and no dampening)
   */
  public record Options(double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
    public Options {
      if (!(lr >= 0) || !(momentum >= 0) || !(weightDecay >= 0)) {
        throw new IllegalArgumentException("Sgd.Options: lr, momentum and weightDecay must be >= 0, got lr=" + lr
            + ", momentum=" + momentum + ", weightDecay=" + weightDecay);
      }
      if (nesterov && (momentum <= 0 || dampening != 0)) {
        throw new IllegalArgumentException("Sgd.Options: Nesterov momentum needs momentum > 0 and zero dampening, got"
            + " momentum=" + momentum + ", dampening=" + dampening);
      }
    }

    /** Plain SGD at this learning rate. */
    public static Options of(double lr) {
      return new Options(lr, 0, 0, 0, false);
    }
  }

  private final Options options;
  private final float[][] momentumBuffer; // per parameter, null until the first step

  public Sgd(List<Parameter> parameters, Options options) {
    super(parameters);
    if (options == null) {
      throw new IllegalArgumentException("Sgd: options must not be null");
    }
    this.options = options;
    this.lr = options.lr();
    this.momentumBuffer = options.momentum() > 0 ? buffer("momentum_buffer", 0f) : null;
  }

  public Sgd(List<Parameter> parameters, double lr) {
    this(parameters, Options.of(lr));
  }

  @Override
  public void step() {
    boolean first = steps == 0;
    steps++;
    float lr = (float) this.lr;
    float momentum = (float) options.momentum();
    float keep = (float) (1 - options.dampening());
    float decay = (float) options.weightDecay();
    for (int i = 0; i < parameters.size(); i++) {
      float[] p = parameters.get(i).value().data();
      float[] g = parameters.get(i).grad().data();
      float[] buf = momentumBuffer == null ? null : momentumBuffer[i];
      for (int j = 0; j < p.length; j++) {
        float d = decay != 0f ? g[j] + decay * p[j] : g[j];
        if (buf != null) {
          buf[j] = first ? d : buf[j] * momentum + keep * d;
          d = options.nesterov() ? d + momentum * buf[j] : buf[j];
        }
        p[j] += -lr * d;
      }
    }
  }
}
