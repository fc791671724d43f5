package io.github.recurrent4j.optim;

/**
 * A learning-rate schedule over an optimizer. Each {@link #step()} advances one unit (an epoch or a
 * batch, the caller's choice) and sets the optimizer's rate for the next steps, as PyTorch's
 * {@code scheduler.step()}.
 *
 * <p>The rates, with {@code base} the optimizer's rate when the schedule was made and t the
 * number of {@code step()} calls so far:
 * <ul>
 *   <li>{@link #stepDecay}: {@code base · γ^floor(t / every)} ({@code StepLR});
 *   <li>{@link #exponential}: {@code base · γ^t} ({@code ExponentialLR});
 *   <li>{@link #cosineWithWarmup}: linear from {@code base · startFactor} to {@code base} over
 *       {@code warmup} steps ({@code LinearLR}), then {@code min + (base - min)(1 + cos(π τ / cosineSteps)) / 2}
 *       for τ = t - warmup ({@code CosineAnnealingLR}), staying at {@code min} after {@code cosineSteps}.
 * </ul>
 * Reduce-on-plateau, which reads a metric instead, is {@link ReduceOnPlateau}.
 */
public final class Schedule {
  /** The rate after t steps, from the base rate. */
  @FunctionalInterface
  private interface Rule {
    double rate(double base, long t);
  }

  private final Optimizer optimizer;
  private final double base;
  private final Rule rule;
  private long t;

  private Schedule(Optimizer optimizer, Rule rule) {
    if (optimizer == null) {
      throw new IllegalArgumentException("Schedule: optimizer must not be null");
    }
    this.optimizer = optimizer;
    this.base = optimizer.learningRate();
    this.rule = rule;
    optimizer.setLearningRate(rule.rate(base, 0));
  }

  /** Multiply the rate by {@code gamma} every {@code every} steps. */
  public static Schedule stepDecay(Optimizer optimizer, int every, double gamma) {
    if (every < 1 || !(gamma > 0)) {
      throw new IllegalArgumentException("Schedule.stepDecay: every must be >= 1 and gamma > 0, got every=" + every
          + ", gamma=" + gamma);
    }
    return new Schedule(optimizer, (base, t) -> base * Math.pow(gamma, t / every));
  }

  /** Multiply the rate by {@code gamma} every step. */
  public static Schedule exponential(Optimizer optimizer, double gamma) {
    if (!(gamma > 0)) {
      throw new IllegalArgumentException("Schedule.exponential: gamma must be > 0, got " + gamma);
    }
    return new Schedule(optimizer, (base, t) -> base * Math.pow(gamma, t));
  }

  /** Linear warm-up from {@code base · startFactor}, then cosine annealing to {@code minRate}. */
  public static Schedule cosineWithWarmup(Optimizer optimizer, int warmup, double startFactor, int cosineSteps,
      double minRate) {
    if (warmup < 0 || cosineSteps < 1 || !(startFactor > 0 && startFactor <= 1) || !(minRate >= 0)) {
      throw new IllegalArgumentException("Schedule.cosineWithWarmup: needs warmup >= 0, cosineSteps >= 1,"
          + " startFactor in (0, 1] and minRate >= 0, got warmup=" + warmup + ", cosineSteps=" + cosineSteps
          + ", startFactor=" + startFactor + ", minRate=" + minRate);
    }
    return new Schedule(optimizer, (base, t) -> {
      if (t < warmup) {
        return base * (startFactor + (1 - startFactor) * t / warmup);
      }
      long tau = Math.min(t - warmup, cosineSteps);
      return minRate + (base - minRate) * (1 + Math.cos(Math.PI * tau / cosineSteps)) / 2;
    });
  }

  /** Advances one step and sets the optimizer's rate. */
  public void step() {
    t++;
    optimizer.setLearningRate(rule.rate(base, t));
  }

  /** The number of steps taken, to save and restore with a checkpoint. */
  public long steps() {
    return t;
  }

  /** Restores the step count (from {@link #steps()}) and the optimizer's rate at it. */
  public void restore(long steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("Schedule.restore: steps must be >= 0, got " + steps);
    }
    t = steps;
    optimizer.setLearningRate(rule.rate(base, t));
  }
}
