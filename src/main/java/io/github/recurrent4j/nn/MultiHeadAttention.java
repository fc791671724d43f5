package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Gemm;
import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Multi-head scaled dot-product attention with the numerics and parameters of
 * {@code torch.nn.MultiheadAttention(E, h, batch_first=True)}:
 * <pre>
 *   Q = q W_qᵀ + b_q    K = k W_kᵀ + b_k    V = v W_vᵀ + b_v         (in_proj_weight = [W_q; W_k; W_v], (3E, E))
 *   per head i:  A_i = softmax(Q_i K_iᵀ / sqrt(d) + mask)  V_i        d = E / h
 *   out = concat(A_1 .. A_h) W_oᵀ + b_o                              (out_proj.weight (E, E), out_proj.bias (E))
 * </pre>
 * Shapes: query (B, Tq, E), key and value (B, Tk, E), output (B, Tq, E); the weights of the last
 * forward are (B, h, Tq, Tk). Keys past {@code keyLengths[b]} are masked, and so are later keys with
 * the causal mask; masked keys get exactly zero weight and zero gradient. Query rows past
 * {@code queryLengths[b]} give zero outputs. A query whose keys are all masked is an error, never NaN.
 */
public final class MultiHeadAttention implements Layer {
  private final int embedDim;
  private final int heads;
  private final int headDim;
  private final Parameter inProjWeight; // (3E, E)
  private final Parameter inProjBias; // (3E)
  private final Parameter outProjWeight; // (E, E)
  private final Parameter outProjBias; // (E)

  // the last forward
  private Tensor query; // (B, Tq, E)
  private Tensor key; // (B, Tk, E)
  private Tensor value; // (B, Tk, E)
  private boolean self; // query, key and value are one tensor
  private int[] queryLengths;
  private float[] q; // (B, Tq, E) projected
  private float[] k; // (B, Tk, E)
  private float[] v; // (B, Tk, E)
  private float[] weights; // (B, h, Tq, Tk)
  private float[] context; // (B, Tq, E) heads concatenated

  public MultiHeadAttention(int embedDim, int numHeads) {
    this(embedDim, numHeads, Rng.fromDefault());
  }

  /** Initialised as PyTorch's: Glorot-uniform in-projection, zero biases, out-projection as a Linear's weight. */
  public MultiHeadAttention(int embedDim, int numHeads, Rng rng) {
    if (embedDim <= 0 || numHeads <= 0 || embedDim % numHeads != 0) {
      throw new IllegalArgumentException("MultiHeadAttention: embedDim must be a positive multiple of numHeads, got"
          + " embedDim=" + embedDim + ", numHeads=" + numHeads);
    }
    this.embedDim = embedDim;
    this.heads = numHeads;
    this.headDim = embedDim / numHeads;
    inProjWeight = new Parameter("in_proj_weight", Init.glorotUniform(Tensor.zeros(3 * embedDim, embedDim), rng));
    inProjBias = new Parameter("in_proj_bias", Tensor.zeros(3 * embedDim));
    outProjWeight = new Parameter("out_proj.weight", Init.pytorchLinear(Tensor.zeros(embedDim, embedDim), embedDim,
        rng));
    outProjBias = new Parameter("out_proj.bias", Tensor.zeros(embedDim));
  }

  /** Self-attention over {@code x}, every row full length, no causal mask. */
  @Override
  public Tensor forward(Tensor x) {
    return forward(x, x, x, null, null, false);
  }

  /**
   * Attention of {@code query} over {@code key}/{@code value}. {@code keyLengths} masks padded keys,
   * {@code queryLengths} zeroes the outputs of padded queries (null: full length); {@code causal}
   * masks keys after the query's own position.
   */
  public Tensor forward(Tensor query, Tensor key, Tensor value, int[] queryLengths, int[] keyLengths,
      boolean causal) {
    check(query, "query");
    check(key, "key");
    check(value, "value");
    int b = query.dim(0);
    int tq = query.dim(1);
    int tk = key.dim(1);
    if (key.dim(0) != b || value.dim(0) != b || value.dim(1) != tk) {
      throw new IllegalArgumentException(this + ": key " + key.shapeString() + " and value " + value.shapeString()
          + " must be [" + b + ", Tk, " + embedDim + "] with the same Tk");
    }
    int[] ql = SequenceLengths.check(this, queryLengths, b, tq);
    int[] kl = SequenceLengths.check(this, keyLengths, b, tk);
    int e = embedDim;
    float[] w = inProjWeight.value().data();
    float[] bias = inProjBias.value().data();
    // locals until the forward succeeds, so a rejected call leaves the last good forward intact
    float[] q = project(query, w, 0, bias, 0);
    float[] k = project(key, w, e * e, bias, e);
    float[] v = project(value, w, 2 * e * e, bias, 2 * e);
    float[] weights = new float[b * heads * tq * tk];
    float[] context = new float[b * tq * e];
    float scale = (float) (1 / Math.sqrt(headDim));
    Kernels kernels = Kernels.active();
    for (int row = 0; row < b; row++) {
      for (int h = 0; h < heads; h++) {
        int wOff = ((row * heads + h) * tq) * tk;
        // scores = Q_h K_hᵀ / sqrt(d)
        Gemm.gemm(false, true, tq, tk, headDim, scale, q, row * tq * e + h * headDim, e, k, row * tk * e + h * headDim,
            e, 0f, weights, wOff, tk);
        for (int i = 0; i < tq; i++) {
          int valid = causal ? Math.min(kl[row], i + 1) : kl[row];
          if (i >= ql[row]) {
            Arrays.fill(weights, wOff + i * tk, wOff + (i + 1) * tk, 0f);
            continue;
          }
          if (valid == 0) {
            throw new IllegalArgumentException(this + ": query " + i + " of row " + row + " has every key masked"
                + " (key length " + kl[row] + (causal ? ", causal" : "") + ")");
          }
          kernels.softmax(weights, wOff + i * tk, weights, wOff + i * tk, valid);
          Arrays.fill(weights, wOff + i * tk + valid, wOff + (i + 1) * tk, 0f);
        }
        // context_h = weights V_h
        Gemm.gemm(false, false, tq, headDim, tk, 1f, weights, wOff, tk, v, row * tk * e + h * headDim, e, 0f, context,
            row * tq * e + h * headDim, e);
      }
    }
    Tensor out = Tensor.zeros(b, tq, e);
    for (int r = 0; r < b * tq; r++) {
      System.arraycopy(outProjBias.value().data(), 0, out.data(), r * e, e);
    }
    Gemm.gemm(false, true, b * tq, e, e, 1f, context, 0, e, outProjWeight.value().data(), 0, e, 1f, out.data(), 0, e);
    for (int row = 0; row < b; row++) {
      Arrays.fill(out.data(), (row * tq + ql[row]) * e, (row + 1) * tq * e, 0f);
    }
    this.query = query;
    this.key = key;
    this.value = value;
    this.self = query == key && key == value;
    this.queryLengths = ql;
    this.q = q;
    this.k = k;
    this.v = v;
    this.weights = weights;
    this.context = context;
    return out;
  }

  /** x · W[rows from off]ᵀ + bias[from biasOff]: one of the three input projections, (B, T, E). */
  private float[] project(Tensor x, float[] w, int off, float[] bias, int biasOff) {
    int rows = x.dim(0) * x.dim(1);
    float[] out = new float[rows * embedDim];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(bias, biasOff, out, r * embedDim, embedDim);
    }
    if (rows > 0) {
      Gemm.gemm(false, true, rows, embedDim, embedDim, 1f, x.data(), 0, embedDim, w, off, embedDim, 1f, out, 0,
          embedDim);
    }
    return out;
  }

  /** The attention weights of the last forward: (B, h, Tq, Tk), or averaged over heads (B, Tq, Tk). */
  public Tensor attentionWeights(boolean averageHeads) {
    if (weights == null) {
      throw new IllegalStateException(this + ": attentionWeights() called before forward");
    }
    int b = query.dim(0);
    int tq = query.dim(1);
    int tk = key.dim(1);
    if (!averageHeads) {
      return Tensor.of(weights.clone(), b, heads, tq, tk);
    }
    float[] avg = new float[b * tq * tk];
    for (int row = 0; row < b; row++) {
      for (int h = 0; h < heads; h++) {
        for (int i = 0; i < tq * tk; i++) {
          avg[row * tq * tk + i] += weights[(row * heads + h) * tq * tk + i] / heads;
        }
      }
    }
    return Tensor.of(avg, b, tq, tk);
  }

  /** For self-attention: d(loss)/d(x). */
  @Override
  public Tensor backward(Tensor dy) {
    if (weights != null && !self) {
      throw new IllegalStateException(this + ": the last forward was cross-attention; use backwardAll");
    }
    Tensor[] grads = backwardAll(dy);
    Tensor dx = grads[0];
    for (int i = 0; i < dx.size(); i++) {
      dx.data()[i] += grads[1].data()[i] + grads[2].data()[i];
    }
    return dx;
  }

  /** The gradients of query, key and value (separately, also for self-attention). */
  public Tensor[] backwardAll(Tensor dy) {
    if (weights == null) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    int b = query.dim(0);
    int tq = query.dim(1);
    int tk = key.dim(1);
    int e = embedDim;
    if (dy == null || !dy.hasShape(b, tq, e)) {
      throw new IllegalArgumentException(this + ": expected gradOutput of shape [" + b + ", " + tq + ", " + e
          + "], got " + (dy == null ? "null" : dy.shapeString()));
    }
    float[] g = dy.data().clone();
    for (int row = 0; row < b; row++) {
      Arrays.fill(g, (row * tq + queryLengths[row]) * e, (row + 1) * tq * e, 0f); // padded outputs are constants
    }
    // out = context W_oᵀ + b_o
    Gemm.gemm(true, false, e, e, b * tq, 1f, g, 0, e, context, 0, e, 1f, outProjWeight.grad().data(), 0, e);
    RecurrentLayer.columnSums(g, b * tq, e, outProjBias.grad().data());
    float[] dContext = new float[b * tq * e];
    Gemm.gemm(false, false, b * tq, e, e, 1f, g, 0, e, outProjWeight.value().data(), 0, e, 0f, dContext, 0, e);
    float[] dq = new float[b * tq * e];
    float[] dk = new float[b * tk * e];
    float[] dv = new float[b * tk * e];
    float[] dWeights = new float[tq * tk];
    float scale = (float) (1 / Math.sqrt(headDim));
    Kernels kernels = Kernels.active();
    float[] dot = new float[1]; // Σ_j dWeights ⊙ weights of one query row
    for (int row = 0; row < b; row++) {
      for (int h = 0; h < heads; h++) {
        int wOff = ((row * heads + h) * tq) * tk;
        int qOff = row * tq * e + h * headDim;
        int kOff = row * tk * e + h * headDim;
        // context_h = weights V_h: dWeights = dContext_h V_hᵀ, dV_h += weightsᵀ dContext_h
        Gemm.gemm(false, true, tq, tk, headDim, 1f, dContext, qOff, e, v, kOff, e, 0f, dWeights, 0, tk);
        Gemm.gemm(true, false, tk, headDim, tq, 1f, weights, wOff, tk, dContext, qOff, e, 1f, dv, kOff, e);
        // softmax: dScores = w ⊙ (dWeights - Σ dWeights ⊙ w); masked keys have w = 0, so they get 0
        for (int i = 0; i < tq; i++) {
          dot[0] = 0f;
          kernels.rowDotRows(tk, 1, 1f, dWeights, i * tk, weights, wOff + i * tk, tk, dot, 0);
          float d = dot[0];
          for (int j = 0; j < tk; j++) {
            dWeights[i * tk + j] = weights[wOff + i * tk + j] * (dWeights[i * tk + j] - d);
          }
        }
        // scores = Q_h K_hᵀ · scale
        Gemm.gemm(false, false, tq, headDim, tk, scale, dWeights, 0, tk, k, kOff, e, 1f, dq, qOff, e);
        Gemm.gemm(true, false, tk, headDim, tq, scale, dWeights, 0, tk, q, qOff, e, 1f, dk, kOff, e);
      }
    }
    return new Tensor[] {
        projectBackward(query, dq, 0), projectBackward(key, dk, 1), projectBackward(value, dv, 2)};
  }

  /** Through one input projection: adds its weight and bias gradients, returns d(input). */
  private Tensor projectBackward(Tensor x, float[] dProjected, int part) {
    int e = embedDim;
    int rows = x.dim(0) * x.dim(1);
    Tensor dx = Tensor.zeros(x.shape());
    if (rows > 0) {
      Gemm.gemm(true, false, e, e, rows, 1f, dProjected, 0, e, x.data(), 0, e, 1f, inProjWeight.grad().data(),
          part * e * e, e);
      Gemm.gemm(false, false, rows, e, e, 1f, dProjected, 0, e, inProjWeight.value().data(), part * e * e, e, 0f,
          dx.data(), 0, e);
    }
    RecurrentLayer.columnSums(dProjected, rows, e, inProjBias.grad().data(), part * e);
    return dx;
  }

  private void check(Tensor t, String what) {
    if (t == null || t.rank() != 3 || t.dim(2) != embedDim) {
      throw new IllegalArgumentException(this + ": expected " + what + " [batch, time, " + embedDim + "], got "
          + (t == null ? "null" : t.shapeString()));
    }
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(inProjWeight, inProjBias, outProjWeight, outProjBias);
  }

  @Override
  public String toString() {
    return "MultiHeadAttention(embedDim=" + embedDim + ", heads=" + heads + ")";
  }
}
