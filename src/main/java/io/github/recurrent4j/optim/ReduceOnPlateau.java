package io.github.recurrent4j.optim;

/**
 * {@code torch.optim.lr_scheduler.ReduceLROnPlateau}: when a metric has not improved for more than
 * {@code patience} steps, multiply the rate by {@code factor} (not below {@code minRate}), then wait
 * {@code cooldown} steps. Improvement is relative: better than {@code best · (1 ∓ threshold)}.
 */
public final class ReduceOnPlateau {
  /** Whether lower (a loss) or higher (an accuracy) is better. */
  public enum Mode { MIN, MAX }

  private final Optimizer optimizer;
  private final Mode mode;
  private final double factor;
  private final int patience;
  private final double threshold;
  private final int cooldown;
  private final double minRate;
  private double best;
  private int badSteps;
  private int cooldownLeft;

  /** PyTorch's defaults: factor 0.1, patience 10, threshold 1e-4, no cooldown, no minimum. */
  public ReduceOnPlateau(Optimizer optimizer, Mode mode) {
    this(optimizer, mode, 0.1, 10, 1e-4, 0, 0);
  }

  public ReduceOnPlateau(Optimizer optimizer, Mode mode, double factor, int patience, double threshold, int cooldown,
      double minRate) {
    if (optimizer == null || mode == null) {
      throw new IllegalArgumentException("ReduceOnPlateau: optimizer and mode must not be null");
    }
    if (!(factor > 0 && factor < 1) || patience < 0 || !(threshold >= 0) || cooldown < 0 || !(minRate >= 0)) {
      throw new IllegalArgumentException("ReduceOnPlateau: needs factor in (0, 1), patience >= 0, threshold >= 0,"
          + " cooldown >= 0 and minRate >= 0, got factor=" + factor + ", patience=" + patience + ", threshold="
          + threshold + ", cooldown=" + cooldown + ", minRate=" + minRate);
    }
    this.optimizer = optimizer;
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.cooldown = cooldown;
    this.minRate = minRate;
    this.best = mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
  }

  /** Records this step's metric and lowers the rate when it has stopped improving. */
  public void step(double metric) {
    if (Double.isNaN(metric)) {
      throw new IllegalArgumentException("ReduceOnPlateau: the metric is NaN");
    }
    boolean better = mode == Mode.MIN ? metric < best * (1 - threshold) : metric > best * (1 + threshold);
    if (better) {
      best = metric;
      badSteps = 0;
    } else {
      badSteps++;
    }
    if (cooldownLeft > 0) {
      cooldownLeft--;
      badSteps = 0;
    }
    if (badSteps > patience) {
      optimizer.setLearningRate(Math.max(optimizer.learningRate() * factor, minRate));
      cooldownLeft = cooldown;
      badSteps = 0;
    }
  }
}
