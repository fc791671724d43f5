package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * A lookup table from token ids to vectors, as {@code torch.nn.Embedding}:
 * <pre>
 *   y[..., :] = weight[ids[...], :]      ids (...) ints in [0, C)   weight (C, D)   y (..., D)
 *   dweight[ids[...], :] += dy[..., :]   (only the rows used; never the padding row)
 * </pre>
 * Ids are {@code int}s, not floats. The weight starts as PyTorch's, {@code N(0, 1)}; a padding
 * row, if any, starts at zero and never receives a gradient. State-dict key: {@code weight}.
 *
 * <p>Ids have no gradient, so this is a {@link Module} with its own {@code forward(int[] ...)}
 * and a {@link #backward} that only accumulates into the weight.
 */
public final class Embedding implements Module {
  private final int count;
  private final int dim;
  private final Integer paddingIndex; // null when there is no padding row
  private final Parameter weight; // (C, D)
  private int[] ids; // the last forward's ids, a copy
  private int[] idShape;

  /** Initialised from the default generator (see {@link Rng#manualSeed}). */
  public Embedding(int count, int dim) {
    this(count, dim, Rng.fromDefault());
  }

  public Embedding(int count, int dim, Rng rng) {
    this(count, dim, null, rng);
  }

  private Embedding(int count, int dim, Integer paddingIndex, Rng rng) {
    if (count <= 0 || dim <= 0) {
      throw new IllegalArgumentException("Embedding: count and dim must be positive, got count=" + count + ", dim=" + dim);
    }
    if (paddingIndex != null && (paddingIndex < 0 || paddingIndex >= count)) {
      throw new IllegalArgumentException("Embedding: paddingIndex must be in [0, " + count + "), got " + paddingIndex);
    }
    this.count = count;
    this.dim = dim;
    this.paddingIndex = paddingIndex;
    this.weight = new Parameter("weight", Init.normal(Tensor.zeros(count, dim), 0, 1, rng));
    if (paddingIndex != null) {
      Arrays.fill(weight.value().data(), paddingIndex * dim, (paddingIndex + 1) * dim, 0f);
    }
  }

  /** An embedding whose row {@code paddingIndex} is zero and gets no gradient ({@code padding_idx}). */
  public static Embedding withPadding(int count, int dim, int paddingIndex, Rng rng) {
    return new Embedding(count, dim, paddingIndex, rng);
  }

  public int count() {
    return count;
  }

  public int dim() {
    return dim;
  }

  public Parameter weight() {
    return weight;
  }

  /** Looks up {@code ids}, laid out row-major with the given shape: returns {@code [shape..., D]}. */
  public Tensor forward(int[] ids, int... shape) {
    Tensor y = infer(ids, shape);
    this.ids = ids.clone();
    this.idShape = shape.clone();
    return y;
  }

  /** The same lookup as {@link #forward(int[], int...)}, keeping nothing for backward. */
  public Tensor infer(int[] ids, int... shape) {
    if (ids == null || shape == null) {
      throw new IllegalArgumentException(this + ": ids and shape must not be null");
    }
    if (Tensor.sizeOf(shape) != ids.length || Arrays.stream(shape).anyMatch(d -> d < 0)) {
      throw new IllegalArgumentException(this + ": " + ids.length + " ids do not fill shape " + Arrays.toString(shape));
    }
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= count) {
        throw new IllegalArgumentException(this + ": token id " + ids[i] + " at position " + i
            + " is out of range [0, " + count + ")");
      }
    }
    int[] outShape = Arrays.copyOf(shape, shape.length + 1);
    outShape[shape.length] = dim;
    Tensor y = Tensor.zeros(outShape);
    float[] w = weight.value().data();
    float[] out = y.data();
    for (int i = 0; i < ids.length; i++) {
      System.arraycopy(w, ids[i] * dim, out, i * dim, dim);
    }
    return y;
  }

  /** Looks up a rectangular batch {@code ids[B][T]}: returns {@code [B, T, D]}. */
  public Tensor forward(int[][] ids) {
    if (ids == null) {
      throw new IllegalArgumentException(this + ": ids must not be null");
    }
    int rows = ids.length;
    int cols = rows == 0 ? 0 : (ids[0] == null ? -1 : ids[0].length);
    int[] flat = new int[Math.max(0, rows * cols)];
    for (int b = 0; b < rows; b++) {
      if (ids[b] == null || ids[b].length != cols) {
        throw new IllegalArgumentException(this + ": ids must be rectangular: row 0 has " + cols + " ids but row " + b
            + " has " + (ids[b] == null ? "none (null)" : ids[b].length) + "; pad shorter rows and pass lengths");
      }
      System.arraycopy(ids[b], 0, flat, b * cols, cols);
    }
    return forward(flat, rows, cols);
  }

  /** Adds {@code dy} into the weight's gradient at the rows the last forward used. */
  public void backward(Tensor dy) {
    if (ids == null) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    int[] outShape = Arrays.copyOf(idShape, idShape.length + 1);
    outShape[idShape.length] = dim;
    if (dy == null || !dy.hasShape(outShape)) {
      throw new IllegalArgumentException(this + ": expected gradOutput of shape " + Arrays.toString(outShape) + ", got "
          + (dy == null ? "null" : dy.shapeString()));
    }
    float[] g = dy.data();
    float[] dw = weight.grad().data();
    for (int i = 0; i < ids.length; i++) {
      if (paddingIndex != null && ids[i] == paddingIndex) {
        continue;
      }
      int row = ids[i] * dim;
      for (int d = 0; d < dim; d++) {
        dw[row + d] += g[i * dim + d];
      }
    }
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weight);
  }

  @Override
  public String toString() {
    return "Embedding(count=" + count + ", dim=" + dim + (paddingIndex == null ? "" : ", paddingIndex=" + paddingIndex)
        + ")";
  }
}
