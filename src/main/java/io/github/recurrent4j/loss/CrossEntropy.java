package io.github.recurrent4j.loss;

import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;
import java.util.OptionalInt;

/**
 * {@code torch.nn.CrossEntropyLoss} from logits and class indices, with its softmax fused into the
 * backward: {@code d(loss)/d(logits) = softmax - target distribution}.
 * <pre>
 *   term_i = -(1 - ε) w[y_i] log p_i[y_i] - ε/C Σ_c w[c] log p_i[c]     p_i = softmax(logits_i), ε = label smoothing
 *   loss   = Σ term_i / Σ w[y_i]   (MEAN)   or   Σ term_i   (SUM)       sums over the counted positions
 * </pre>
 * w is PyTorch's {@code weight} (one per class), all ones by default, when MEAN divides by the
 * number of counted positions.
 * Logits are {@code [N, C]} with N targets, or {@code [B, T, C]} with B·T targets (row-major) and
 * optional lengths: steps past a row's length and targets equal to the ignore index count for
 * nothing and get zero gradient. Sums are in double.
 */
public final class CrossEntropy {
  /**
   * @param reduction mean over counted positions, or sum
   * @param ignoreIndex a target id that counts for nothing (PyTorch's {@code ignore_index}), or empty
   * @param labelSmoothing ε in [0, 1]
   * @param classWeights PyTorch's {@code weight}: one finite, non-negative weight per class, or null for none
   */
  public record Options(Reduction reduction, OptionalInt ignoreIndex, double labelSmoothing, float[] classWeights) {
    public Options {
      if (reduction == null || ignoreIndex == null) {
        throw new IllegalArgumentException("CrossEntropy.Options: reduction and ignoreIndex must not be null");
      }
      if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
        throw new IllegalArgumentException("CrossEntropy.Options: labelSmoothing must be in [0, 1], got "
            + labelSmoothing);
      }
      if (classWeights != null) {
        classWeights = classWeights.clone();
        for (int c = 0; c < classWeights.length; c++) {
          if (!(Float.isFinite(classWeights[c]) && classWeights[c] >= 0)) {
            throw new IllegalArgumentException("CrossEntropy.Options: class weights must be finite and >= 0, got "
                + classWeights[c] + " for class " + c);
          }
        }
      }
    }

    /** Without class weights. */
    public Options(Reduction reduction, OptionalInt ignoreIndex, double labelSmoothing) {
      this(reduction, ignoreIndex, labelSmoothing, null);
    }

    /** PyTorch's defaults: mean, no ignored id, no smoothing, no class weights. */
    public static Options defaults() {
      return new Options(Reduction.MEAN, OptionalInt.empty(), 0, null);
    }

    public Options withReduction(Reduction value) {
      return new Options(value, ignoreIndex, labelSmoothing, classWeights);
    }

    public Options withIgnoreIndex(int value) {
      return new Options(reduction, OptionalInt.of(value), labelSmoothing, classWeights);
    }

    public Options withLabelSmoothing(double value) {
      return new Options(reduction, ignoreIndex, value, classWeights);
    }

    /** PyTorch's {@code weight}: a copy of {@code value}, one weight per class; null for none. */
    public Options withClassWeights(float[] value) {
      return new Options(reduction, ignoreIndex, labelSmoothing, value);
    }

    /** A copy of the class weights, or null. */
    @Override
    public float[] classWeights() {
      return classWeights == null ? null : classWeights.clone();
    }
  }

  private final Options options;
  private Tensor logProbs; // (N, C) log-softmax of the last forward's logits
  private int[] targets; // (N)
  private boolean[] counted; // (N)
  private double weightSum; // Σ w[y_i] over the counted positions: what MEAN divides by
  private int[] logitsShape;

  public CrossEntropy() {
    this(Options.defaults());
  }

  public CrossEntropy(Options options) {
    if (options == null) {
      throw new IllegalArgumentException("CrossEntropy: options must not be null");
    }
    this.options = options;
  }

  /** Logits {@code [N, C]} or {@code [B, T, C]} with one target id per position. */
  public double forward(Tensor logits, int[] targets) {
    return forward(logits, targets, null);
  }

  /** Logits {@code [B, T, C]}; positions past {@code lengths[b]} are ignored. */
  public double forward(Tensor logits, int[] targets, int[] lengths) {
    if (logits == null || targets == null) {
      throw new IllegalArgumentException("CrossEntropy: logits and targets must not be null");
    }
    if (logits.rank() != 2 && logits.rank() != 3) {
      throw new IllegalArgumentException("CrossEntropy: expected logits [N, C] or [B, T, C], got "
          + logits.shapeString());
    }
    int classes = logits.dim(-1);
    int n = logits.size() / Math.max(1, classes);
    if (classes == 0) {
      throw new IllegalArgumentException("CrossEntropy: logits have no classes: " + logits.shapeString());
    }
    float[] w = options.classWeights;
    if (w != null && w.length != classes) {
      throw new IllegalArgumentException("CrossEntropy: " + w.length + " class weights for logits with " + classes
          + " classes " + logits.shapeString());
    }
    if (targets.length != n) {
      throw new IllegalArgumentException("CrossEntropy: logits " + logits.shapeString() + " need " + n
          + " targets, got " + targets.length);
    }
    boolean[] use = new boolean[n];
    Arrays.fill(use, true);
    if (lengths != null) {
      if (logits.rank() != 3) {
        throw new IllegalArgumentException("CrossEntropy: lengths need logits [B, T, C], got " + logits.shapeString());
      }
      int b = logits.dim(0);
      int t = logits.dim(1);
      if (lengths.length != b) {
        throw new IllegalArgumentException("CrossEntropy: expected " + b + " lengths (one per batch row), got "
            + lengths.length);
      }
      for (int row = 0; row < b; row++) {
        if (lengths[row] < 0 || lengths[row] > t) {
          throw new IllegalArgumentException("CrossEntropy: lengths[" + row + "] = " + lengths[row]
              + " is out of range [0, " + t + "]");
        }
        for (int step = lengths[row]; step < t; step++) {
          use[row * t + step] = false;
        }
      }
    }
    for (int i = 0; i < n; i++) {
      if (!use[i]) {
        continue;
      }
      if (options.ignoreIndex().isPresent() && targets[i] == options.ignoreIndex().getAsInt()) {
        use[i] = false;
      } else if (targets[i] < 0 || targets[i] >= classes) {
        throw new IllegalArgumentException("CrossEntropy: target " + targets[i] + " at position " + i
            + " is out of range [0, " + classes + ")");
      }
    }
    Tensor lp = Tensor.zeros(n, classes);
    double eps = options.labelSmoothing();
    double sum = 0;
    double weights = 0;
    for (int i = 0; i < n; i++) {
      if (!use[i]) {
        continue;
      }
      Kernels.active().logSoftmax(logits.data(), i * classes, lp.data(), i * classes, classes);
      double wy = w == null ? 1 : w[targets[i]];
      double nll = -wy * lp.data()[i * classes + targets[i]];
      double smooth = 0;
      if (eps > 0) {
        for (int c = 0; c < classes; c++) {
          smooth -= (w == null ? 1 : w[c]) * lp.data()[i * classes + c];
        }
        smooth /= classes;
      }
      sum += (1 - eps) * nll + eps * smooth;
      weights += wy;
    }
    this.logProbs = lp;
    this.targets = targets.clone();
    this.counted = use;
    this.weightSum = weights;
    this.logitsShape = logits.shape();
    if (options.reduction() == Reduction.SUM) {
      return sum;
    }
    return weights == 0 ? Double.NaN : sum / weights; // as PyTorch: the mean over nothing (or zero weight) is NaN
  }

  /** d(loss)/d(logits), the shape of the last forward's logits. */
  public Tensor backward() {
    if (logProbs == null) {
      throw new IllegalStateException("CrossEntropy: backward called before forward");
    }
    int classes = logProbs.dim(1);
    Tensor g = Tensor.zeros(logitsShape);
    double eps = options.labelSmoothing();
    float[] w = options.classWeights;
    // without weights the float scale 1/count of the code before class weights, to its bits
    double scale = options.reduction() == Reduction.SUM || weightSum == 0 ? 1
        : w == null ? 1f / (float) weightSum : 1 / weightSum;
    double allWeights = classes;
    if (w != null) {
      allWeights = 0;
      for (float v : w) {
        allWeights += v;
      }
    }
    float[] lp = logProbs.data();
    float[] out = g.data();
    for (int i = 0; i < counted.length; i++) {
      if (!counted[i]) {
        continue;
      }
      // d term_i / d logit_c = (1 - ε) w[y] (p_c - [c = y]) + ε/C (p_c Σ w - w[c])
      double wy = w == null ? 1 : w[targets[i]];
      double pull = w == null ? 1 : (1 - eps) * wy + eps / classes * allWeights;
      for (int c = 0; c < classes; c++) {
        double target = (c == targets[i] ? (1 - eps) * wy : 0) + eps / classes * (w == null ? 1 : w[c]);
        out[i * classes + c] = (float) ((Math.exp(lp[i * classes + c]) * pull - target) * scale);
      }
    }
    return g;
  }
}
