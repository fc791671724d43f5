package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Gemm;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * A fully connected layer over the last dimension, as {@code torch.nn.Linear}:
 * <pre>
 *   y = x · weightᵀ + bias        x (..., I)   weight (O, I)   bias (O)   y (..., O)
 *   dx = dy · weight              dweight += dyᵀ · x              dbias += Σ_rows dy
 * </pre>
 * Any rank works: the leading dimensions are flattened into N rows for one GEMM. Weights and
 * bias start as PyTorch's, {@code U(-1/sqrt(I), 1/sqrt(I))}; state-dict keys are {@code weight}
 * and {@code bias}.
 */
public final class Linear implements Layer {
  private final int inFeatures;
  private final int outFeatures;
  private final Parameter weight; // (O, I)
  private final Parameter bias; // (O), or null without bias
  private Tensor input; // (..., I) the last forward's input, by reference

  /** With bias, initialised from the default generator (see {@link Rng#manualSeed}). */
  public Linear(int inFeatures, int outFeatures) {
    this(inFeatures, outFeatures, true, Rng.fromDefault());
  }

  public Linear(int inFeatures, int outFeatures, boolean bias, Rng rng) {
    if (inFeatures <= 0 || outFeatures <= 0) {
      throw new IllegalArgumentException("Linear: inFeatures and outFeatures must be positive, got inFeatures="
          + inFeatures + ", outFeatures=" + outFeatures);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter("weight", Init.pytorchLinear(Tensor.zeros(outFeatures, inFeatures), inFeatures, rng));
    this.bias = bias ? new Parameter("bias", Init.pytorchLinear(Tensor.zeros(outFeatures), inFeatures, rng)) : null;
  }

  public int inFeatures() {
    return inFeatures;
  }

  public int outFeatures() {
    return outFeatures;
  }

  public Parameter weight() {
    return weight;
  }

  /** The bias, or {@code null} when the layer has none. */
  public Parameter bias() {
    return bias;
  }

  @Override
  public Tensor forward(Tensor x) {
    Tensor y = infer(x);
    input = x;
    return y;
  }

  /** The same numbers as {@link #forward}, keeping nothing for backward: safe on many threads while nobody trains. */
  public Tensor infer(Tensor x) {
    checkInput(x);
    int rows = x.size() / inFeatures;
    int[] outShape = x.shape();
    outShape[outShape.length - 1] = outFeatures;
    Tensor y = Tensor.zeros(outShape);
    float[] out = y.data();
    if (bias == null) {
      Gemm.gemm(false, true, rows, outFeatures, inFeatures, 1f, x.data(), 0, inFeatures, weight.value().data(), 0,
          inFeatures, 0f, out, 0, outFeatures);
    } else {
      Gemm.gemmWithBias(false, true, rows, outFeatures, inFeatures, 1f, x.data(), 0, inFeatures,
          weight.value().data(), 0, inFeatures, bias.value().data(), 0, out, 0, outFeatures);
    }
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    if (input == null) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    int[] outShape = input.shape();
    outShape[outShape.length - 1] = outFeatures;
    if (dy == null || !dy.hasShape(outShape)) {
      throw new IllegalArgumentException(this + ": expected gradOutput of shape " + Arrays.toString(outShape) + ", got "
          + (dy == null ? "null" : dy.shapeString()));
    }
    int rows = input.size() / inFeatures;
    Tensor dx = Tensor.zeros(input.shape());
    // dx = dy · weight
    Gemm.gemm(false, false, rows, inFeatures, outFeatures, 1f, dy.data(), 0, outFeatures, weight.value().data(), 0,
        inFeatures, 0f, dx.data(), 0, inFeatures);
    // dweight += dyᵀ · x
    Gemm.gemm(true, false, outFeatures, inFeatures, rows, 1f, dy.data(), 0, outFeatures, input.data(), 0, inFeatures,
        1f, weight.grad().data(), 0, inFeatures);
    if (bias != null) {
      // dbias += Σ_rows dy, summed in double
      float[] g = dy.data();
      float[] db = bias.grad().data();
      for (int o = 0; o < outFeatures; o++) {
        double sum = 0;
        for (int r = 0; r < rows; r++) {
          sum += g[r * outFeatures + o];
        }
        db[o] += (float) sum;
      }
    }
    return dx;
  }

  private void checkInput(Tensor x) {
    if (x == null) {
      throw new IllegalArgumentException(this + ": input is null");
    }
    if (x.rank() < 1 || x.dim(-1) != inFeatures) {
      throw new IllegalArgumentException(this + ": expected input with last dimension " + inFeatures + ", got shape "
          + x.shapeString());
    }
  }

  @Override
  public List<Parameter> parameters() {
    return bias == null ? List.of(weight) : List.of(weight, bias);
  }

  @Override
  public String toString() {
    return "Linear(in=" + inFeatures + ", out=" + outFeatures + (bias == null ? ", bias=false" : "") + ")";
  }
}
