package io.github.recurrent4j.check;

import io.github.recurrent4j.nn.Layer;
import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compares analytic gradients with central finite differences.
 *
 * <p>The scalar being differentiated is {@code L = Σ r ⊙ y}, with {@code y} the function's output
 * and {@code r} a fixed random tensor, so every output element matters and gate or transpose
 * mix-ups cannot cancel out. Two checks run:
 * <ul>
 *   <li>per element: each element of each variable (or a seeded sample of at most
 *       {@link Options#maxElementsPerTensor()}) is moved by ±ε;
 *   <li>per direction: all variables at once are moved along random unit directions, which
 *       averages float32 rounding noise away and catches errors spread thinly over many elements.
 * </ul>
 * The error of one comparison is {@code |analytic - numeric| / max(|analytic|, |numeric|, floor)}.
 * Losses are summed in double; the step actually taken after float rounding is used.
 *
 * <p>Kinks: where the function is not smooth within ±ε (a ReLU whose input is near zero), finite
 * differences mean nothing. An element whose two one-sided differences disagree by more than
 * {@link Options#kinkTolerance()} of their size is skipped and counted in
 * {@link Result#kinksSkipped()}, as is a direction that crosses a kink.
 *
 * <p>Use it on your own layers: {@code GradientCheck.check(layer, input).requirePassed()}.
 */
public final class GradientCheck {
  private GradientCheck() {}

  /**
   * The knobs of a check.
   *
   * @param epsilon the finite-difference step (float32 wants about 1e-2)
   * @param tolerance the largest error that passes
   * @param floor the smallest denominator of the relative error, so gradients near zero compare absolutely
   * @param maxElementsPerTensor elements checked one by one per variable; larger variables are sampled
   * @param directions the number of random directions checked
   * @param seed the seed of {@code r}, the samples and the directions
   * @param kinkTolerance how far, relative to their size, the one-sided differences may disagree before
   *     the point counts as a kink and is skipped
   */
  public record Options(double epsilon, double tolerance, double floor, int maxElementsPerTensor, int directions,
      long seed, double kinkTolerance) {
    public Options {
      if (!(epsilon > 0) || !(tolerance > 0) || !(floor > 0)) {
        throw new IllegalArgumentException("GradientCheck.Options: epsilon, tolerance and floor must be positive, got epsilon="
            + epsilon + ", tolerance=" + tolerance + ", floor=" + floor);
      }
      if (!(kinkTolerance > 0)) {
        throw new IllegalArgumentException("GradientCheck.Options: kinkTolerance must be positive, got " + kinkTolerance);
      }
      if (maxElementsPerTensor < 0 || directions < 0) {
        throw new IllegalArgumentException("GradientCheck.Options: maxElementsPerTensor and directions must be >= 0, got "
            + maxElementsPerTensor + " and " + directions);
      }
    }

    /**
     * epsilon 1e-2, tolerance 1e-2, floor 1e-2 (float32 forwards leave about 1e-5 of noise in each
     * numeric derivative), 256 elements per tensor, 4 directions, seed 1234, kink tolerance 0.5.
     */
    public static Options defaults() {
      return new Options(1e-2, 1e-2, 1e-2, 256, 4, 1234, 0.5);
    }

    public Options withTolerance(double value) {
      return new Options(epsilon, value, floor, maxElementsPerTensor, directions, seed, kinkTolerance);
    }

    public Options withEpsilon(double value) {
      return new Options(value, tolerance, floor, maxElementsPerTensor, directions, seed, kinkTolerance);
    }

    public Options withSeed(long value) {
      return new Options(epsilon, tolerance, floor, maxElementsPerTensor, directions, value, kinkTolerance);
    }

    public Options withMaxElementsPerTensor(int value) {
      return new Options(epsilon, tolerance, floor, value, directions, seed, kinkTolerance);
    }

    public Options withDirections(int value) {
      return new Options(epsilon, tolerance, floor, maxElementsPerTensor, value, seed, kinkTolerance);
    }
  }

  /**
   * Something to check: a function of the tensors in {@link #variables()}. Its backward must add
   * {@code d(Σ gradOutput ⊙ output)/d(variable)} into each variable's {@link Parameter#grad()}.
   */
  public interface Function {
    /** Every tensor the output depends on and that has a gradient: inputs, states, parameters. */
    List<Parameter> variables();

    /** The output for the current values of the variables. */
    Tensor forward();

    /** Adds the gradients of {@code Σ gradOutput ⊙ forward()} into the variables' grads. */
    void backward(Tensor gradOutput);

    /** A function from its three parts. */
    static Function of(List<Parameter> variables, java.util.function.Supplier<Tensor> forward,
        java.util.function.Consumer<Tensor> backward) {
      return new Function() {
        @Override
        public List<Parameter> variables() {
          return variables;
        }

        @Override
        public Tensor forward() {
          return forward.get();
        }

        @Override
        public void backward(Tensor gradOutput) {
          backward.accept(gradOutput);
        }
      };
    }
  }

  /**
   * The outcome: the worst error of each kind, where it happened, and how many comparisons ran.
   */
  public record Result(double worstElementError, String worstElement, double worstElementAnalytic,
      double worstElementNumeric, double worstDirectionError, int elementsChecked, int directionsChecked,
      int kinksSkipped, double tolerance) {
    public boolean passed() {
      return worstElementError <= tolerance && worstDirectionError <= tolerance;
    }

    /** Throws an {@link AssertionError} carrying this report unless the check passed. */
    public Result requirePassed() {
      if (!passed()) {
        throw new AssertionError("gradient check failed: " + this);
      }
      return this;
    }

    @Override
    public String toString() {
      return String.format("worst element error %.3g at %s (analytic %.6g, numeric %.6g); worst direction error %.3g;"
              + " %d elements and %d directions checked, %d skipped at kinks; tolerance %.3g", worstElementError,
          worstElement, worstElementAnalytic, worstElementNumeric, worstDirectionError, elementsChecked,
          directionsChecked, kinksSkipped, tolerance);
    }
  }

  /** Checks a layer's input gradient and every parameter's gradient at {@code input}, with default options. */
  public static Result check(Layer layer, Tensor input) {
    return check(layer, input, Options.defaults());
  }

  /** Checks a layer's input gradient and every parameter's gradient at {@code input}. */
  public static Result check(Layer layer, Tensor input, Options options) {
    Parameter in = new Parameter("input", input);
    List<Parameter> variables = new ArrayList<>();
    variables.add(in);
    variables.addAll(layer.parameters());
    return check(Function.of(variables, () -> layer.forward(input), g -> in.accumulateGrad(layer.backward(g))),
        options);
  }

  /** Checks every variable of {@code function}. */
  public static Result check(Function function, Options options) {
    Rng rng = new Rng(options.seed());
    List<Parameter> variables = function.variables();
    for (Parameter v : variables) {
      v.zeroGrad();
    }
    Tensor output = function.forward();
    float[] r = new float[output.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = (float) rng.nextGaussian();
    }
    function.backward(Tensor.of(r.clone(), output.shape()));
    List<float[]> analytic = new ArrayList<>();
    for (Parameter v : variables) {
      analytic.add(v.grad().data().clone());
    }

    double base = loss(output, r);
    double worst = 0;
    String worstAt = "nothing";
    double worstAnalytic = 0;
    double worstNumeric = 0;
    int elements = 0;
    int kinks = 0;
    for (int vi = 0; vi < variables.size(); vi++) {
      Parameter v = variables.get(vi);
      float[] x = v.value().data();
      for (int i : sample(x.length, options.maxElementsPerTensor(), rng)) {
        float original = x[i];
        float plus = (float) (original + options.epsilon());
        float minus = (float) (original - options.epsilon());
        x[i] = plus;
        double lossPlus = loss(function.forward(), r);
        x[i] = minus;
        double lossMinus = loss(function.forward(), r);
        x[i] = original;
        if (isKink(lossPlus - base, (double) plus - original, base - lossMinus, (double) original - minus, options)) {
          kinks++;
          continue;
        }
        double numeric = (lossPlus - lossMinus) / ((double) plus - minus);
        double a = analytic.get(vi)[i];
        double error = error(a, numeric, options.floor());
        elements++;
        if (error > worst || Double.isNaN(error)) {
          worst = Double.isNaN(error) ? Double.POSITIVE_INFINITY : error;
          worstAt = v.name() + Arrays.toString(v.value().indexOf(i));
          worstAnalytic = a;
          worstNumeric = numeric;
        }
      }
    }

    double worstDirection = 0;
    for (int dir = 0; dir < options.directions(); dir++) {
      List<float[]> direction = new ArrayList<>();
      double norm = 0;
      for (Parameter v : variables) {
        float[] d = new float[v.size()];
        for (int i = 0; i < d.length; i++) {
          d[i] = (float) rng.nextGaussian();
          norm += (double) d[i] * d[i];
        }
        direction.add(d);
      }
      double scale = norm > 0 ? options.epsilon() / Math.sqrt(norm) : 0;
      List<float[]> originals = new ArrayList<>();
      double analyticSlope = 0;
      for (int vi = 0; vi < variables.size(); vi++) {
        float[] x = variables.get(vi).value().data();
        float[] d = direction.get(vi);
        float[] g = analytic.get(vi);
        originals.add(x.clone());
        for (int i = 0; i < x.length; i++) {
          float plus = (float) (x[i] + scale * d[i]);
          float minus = (float) (x[i] - scale * d[i]);
          analyticSlope += g[i] * ((double) plus - minus);
          d[i] = minus; // reuse the direction array to hold the minus point
          x[i] = plus;
        }
      }
      double lossPlus = loss(function.forward(), r);
      for (int vi = 0; vi < variables.size(); vi++) {
        System.arraycopy(direction.get(vi), 0, variables.get(vi).value().data(), 0, direction.get(vi).length);
      }
      double lossMinus = loss(function.forward(), r);
      for (int vi = 0; vi < variables.size(); vi++) {
        float[] o = originals.get(vi);
        System.arraycopy(o, 0, variables.get(vi).value().data(), 0, o.length);
      }
      // One-sided halves of the step are each about half the displacement: compare them for a kink.
      if (isKink(lossPlus - base, 1, base - lossMinus, 1, options)) {
        kinks++;
        continue;
      }
      // Both slopes are per unit of the summed displacement, so they compare directly.
      double error = error(analyticSlope, lossPlus - lossMinus, options.floor() * 2 * options.epsilon());
      worstDirection = Double.isNaN(error) ? Double.POSITIVE_INFINITY : Math.max(worstDirection, error);
    }
    return new Result(worst, worstAt, worstAnalytic, worstNumeric, worstDirection, elements, options.directions(),
        kinks, options.tolerance());
  }

  /** True when the slopes left and right of the point disagree: the function has a kink within the step. */
  private static boolean isKink(double riseRight, double runRight, double riseLeft, double runLeft, Options options) {
    double right = riseRight / runRight;
    double left = riseLeft / runLeft;
    double scale = Math.max(Math.max(Math.abs(right), Math.abs(left)), options.floor());
    return Math.abs(right - left) > options.kinkTolerance() * scale;
  }

  private static double loss(Tensor output, float[] r) {
    float[] y = output.data();
    if (y.length != r.length) {
      throw new IllegalStateException("GradientCheck: the output changed size between forwards, from " + r.length
          + " to " + y.length + " elements");
    }
    double sum = 0;
    for (int i = 0; i < y.length; i++) {
      sum += (double) r[i] * y[i];
    }
    return sum;
  }

  private static double error(double analytic, double numeric, double floor) {
    double scale = Math.max(Math.max(Math.abs(analytic), Math.abs(numeric)), floor);
    return Math.abs(analytic - numeric) / scale;
  }

  private static int[] sample(int size, int max, Rng rng) {
    int[] all = new int[size];
    for (int i = 0; i < size; i++) {
      all[i] = i;
    }
    if (size <= max) {
      return all;
    }
    rng.shuffle(all);
    int[] chosen = Arrays.copyOf(all, max);
    Arrays.sort(chosen);
    return chosen;
  }
}
