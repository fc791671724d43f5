package io.github.recurrent4j.tensor;

/**
 * Weight initialisers. Each fills a tensor in place and returns it.
 *
 * <p>Fans follow PyTorch's {@code _calculate_fan_in_and_fan_out}: for a weight of shape
 * {@code [out, in, k...]}, {@code fanIn = in·Πk} and {@code fanOut = out·Πk}.
 */
public final class Init {
  private Init() {}

  /** Every element 0. */
  public static Tensor zeros(Tensor t) {
    return t.fill(0f);
  }

  /** Every element {@code value}. */
  public static Tensor constant(Tensor t, float value) {
    return t.fill(value);
  }

  /** Uniform in {@code [low, high)}. */
  public static Tensor uniform(Tensor t, double low, double high, Rng rng) {
    if (!(low <= high)) {
      throw new IllegalArgumentException("Init.uniform: low must be <= high, got low=" + low + ", high=" + high);
    }
    float[] w = t.data();
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rng.nextDouble(low, high);
    }
    return t;
  }

  /** Normal with the given mean and standard deviation. */
  public static Tensor normal(Tensor t, double mean, double std, Rng rng) {
    if (!(std >= 0)) {
      throw new IllegalArgumentException("Init.normal: std must be >= 0, got " + std);
    }
    float[] w = t.data();
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (mean + std * rng.nextGaussian());
    }
    return t;
  }

  /** Glorot (Xavier) uniform: {@code U(-a, a)}, {@code a = sqrt(6 / (fanIn + fanOut))}. */
  public static Tensor glorotUniform(Tensor t, Rng rng) {
    double bound = Math.sqrt(6.0 / (fanIn(t, "glorotUniform") + fanOut(t, "glorotUniform")));
    return uniform(t, -bound, bound, rng);
  }

  /** Glorot (Xavier) normal: {@code N(0, 2 / (fanIn + fanOut))}. */
  public static Tensor glorotNormal(Tensor t, Rng rng) {
    double std = Math.sqrt(2.0 / (fanIn(t, "glorotNormal") + fanOut(t, "glorotNormal")));
    return normal(t, 0, std, rng);
  }

  /** He (Kaiming) uniform for ReLU, fan-in mode: {@code U(-a, a)}, {@code a = sqrt(6 / fanIn)}. */
  public static Tensor heUniform(Tensor t, Rng rng) {
    double bound = Math.sqrt(6.0 / fanIn(t, "heUniform"));
    return uniform(t, -bound, bound, rng);
  }

  /** He (Kaiming) normal for ReLU, fan-in mode: {@code N(0, 2 / fanIn)}. */
  public static Tensor heNormal(Tensor t, Rng rng) {
    double std = Math.sqrt(2.0 / fanIn(t, "heNormal"));
    return normal(t, 0, std, rng);
  }

  /**
   * A (semi-)orthogonal matrix times {@code gain}, as {@code torch.nn.init.orthogonal_}: the
   * tensor is viewed as {@code [shape[0], rest]}; its rows (or columns, whichever are fewer) are
   * orthonormal.
   */
  public static Tensor orthogonal(Tensor t, double gain, Rng rng) {
    if (t.rank() < 2) {
      throw new IllegalArgumentException("Init.orthogonal: needs a tensor of rank >= 2, got shape " + t.shapeString());
    }
    int rows = t.dim(0);
    int cols = rows == 0 ? 0 : t.size() / rows;
    if (rows == 0 || cols == 0) {
      return t;
    }
    // Work on a tall matrix a [n, m] with n >= m, then transpose back if needed.
    boolean transposed = rows < cols;
    int n = transposed ? cols : rows;
    int m = transposed ? rows : cols;
    double[][] q = new double[m][n]; // q[j] is column j of the tall matrix
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        q[j][i] = rng.nextGaussian();
      }
    }
    // Modified Gram–Schmidt; the sign convention sign(diag(R)) > 0 matches PyTorch's q *= sign(diag(r)).
    for (int j = 0; j < m; j++) {
      for (int p = 0; p < j; p++) {
        double dot = 0;
        for (int i = 0; i < n; i++) {
          dot += q[p][i] * q[j][i];
        }
        for (int i = 0; i < n; i++) {
          q[j][i] -= dot * q[p][i];
        }
      }
      double norm = 0;
      for (int i = 0; i < n; i++) {
        norm += q[j][i] * q[j][i];
      }
      norm = Math.sqrt(norm);
      for (int i = 0; i < n; i++) {
        q[j][i] /= norm;
      }
    }
    float[] w = t.data();
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        w[r * cols + c] = (float) (gain * (transposed ? q[r][c] : q[c][r]));
      }
    }
    return t;
  }

  /** The identity matrix (ones on the main diagonal of a rank-2 tensor, which may be rectangular). */
  public static Tensor identity(Tensor t) {
    if (t.rank() != 2) {
      throw new IllegalArgumentException("Init.identity: needs a rank-2 tensor, got shape " + t.shapeString());
    }
    t.fill(0f);
    int cols = t.dim(1);
    for (int i = 0; i < Math.min(t.dim(0), cols); i++) {
      t.data()[i * cols + i] = 1f;
    }
    return t;
  }

  /**
   * PyTorch's default for {@code nn.Linear} weights and biases: {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))}
   * (what {@code kaiming_uniform_(a=sqrt(5))} works out to). {@code fanIn} is the layer's input size.
   */
  public static Tensor pytorchLinear(Tensor t, int fanIn, Rng rng) {
    if (fanIn <= 0) {
      return zeros(t);
    }
    double bound = 1.0 / Math.sqrt(fanIn);
    return uniform(t, -bound, bound, rng);
  }

  /** PyTorch's default for every weight and bias of its RNN layers: {@code U(-1/sqrt(hidden), 1/sqrt(hidden))}. */
  public static Tensor pytorchRnn(Tensor t, int hiddenSize, Rng rng) {
    if (hiddenSize <= 0) {
      throw new IllegalArgumentException("Init.pytorchRnn: hiddenSize must be positive, got " + hiddenSize);
    }
    double bound = 1.0 / Math.sqrt(hiddenSize);
    return uniform(t, -bound, bound, rng);
  }

  /** The fan-in of a weight tensor of rank >= 2. */
  public static int fanIn(Tensor t, String who) {
    int field = receptiveField(t, who);
    return t.dim(1) * field;
  }

  /** The fan-out of a weight tensor of rank >= 2. */
  public static int fanOut(Tensor t, String who) {
    int field = receptiveField(t, who);
    return t.dim(0) * field;
  }

  private static int receptiveField(Tensor t, String who) {
    if (t.rank() < 2) {
      throw new IllegalArgumentException("Init." + who + ": fan in and fan out need a tensor of rank >= 2, got shape "
          + t.shapeString());
    }
    int field = 1;
    for (int d = 2; d < t.rank(); d++) {
      field *= t.dim(d);
    }
    if (t.dim(0) * field == 0 || t.dim(1) * field == 0) {
      throw new IllegalArgumentException("Init." + who + ": zero-element tensor of shape " + t.shapeString());
    }
    return field;
  }
}
