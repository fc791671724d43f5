package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Gemm;
import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.kernel.Parallel;
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

  // the last forward; its arrays are reused by the next forward of the same shape
  private Tensor query; // (B, Tq, E)
  private Tensor key; // (B, Tk, E)
  private Tensor value; // (B, Tk, E)
  private boolean self; // query, key and value are one tensor
  private int[] queryLengths;
  private float[] qkv; // self-attention: (B, T, 3E), the rows of Q, K and V side by side
  private float[] crossQ; // cross-attention: (B, Tq, E)
  private float[] crossK; // (B, Tk, E)
  private float[] crossV; // (B, Tk, E)
  private float[] q; // Q from qOff with row stride ld: qkv or crossQ
  private float[] k; // K from kOff
  private float[] v; // V from vOff
  private int qOff;
  private int kOff;
  private int vOff;
  private int ld; // 3E for self-attention, else E
  private float[] weights; // (B, h, Tq, Tk)
  private float[] context; // (B, Tq, E) heads concatenated
  // backward's scratch, reused by the next backward of the same shape
  private float[] dContext; // (B, Tq, E)
  private float[] dProjected; // d(Q | K | V) in the layout of q, k and v
  private float[] dk; // cross-attention: dK (B, Tk, E); self: null (in dProjected)
  private float[] dv; // cross-attention: dV
  private float[][] dWeights = new float[0][]; // one (Tq, Tk) per task
  private float[][] transposed = new float[0][]; // one (d, Tk) per task: K_hᵀ forward, V_hᵀ backward
  private final TrainingGuard guard = new TrainingGuard();

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
   * As {@link #forward(Tensor)}, but writes the output into {@code out} ({@code [B, T, E]}, every
   * element overwritten) and returns it, like PyTorch's {@code out=}. A training loop that passes
   * the same tensor at every step makes no garbage for its output. {@code out} must not share its
   * array with {@code x}, which backward still reads.
   */
  public Tensor forward(Tensor x, Tensor out) {
    if (out == null) {
      throw new IllegalArgumentException(this + ": out is null (use forward(x) for a new tensor)");
    }
    return guard.call(this, "forward", () -> attend(x, x, x, null, null, false, out));
  }

  /**
   * Attention of {@code query} over {@code key}/{@code value}. {@code keyLengths} masks padded keys,
   * {@code queryLengths} zeroes the outputs of padded queries (null: full length); {@code causal}
   * masks keys after the query's own position.
   */
  public Tensor forward(Tensor query, Tensor key, Tensor value, int[] queryLengths, int[] keyLengths,
      boolean causal) {
    return guard.call(this, "forward", () -> attend(query, key, value, queryLengths, keyLengths, causal, null));
  }

  /** The forward, into {@code into} (checked here) unless it is null. */
  private Tensor attend(Tensor query, Tensor key, Tensor value, int[] queryLengths, int[] keyLengths, boolean causal,
      Tensor into) {
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
    if (into != null) {
      checkInto(into, "out", query.shape());
      if (into.data() == query.data()) {
        throw new IllegalArgumentException(this + ": out must not share its array with the input x");
      }
    }
    for (int row = 0; row < b; row++) {
      // query 0 sees the fewest keys: none only if the row has no keys (the causal mask leaves it key 0)
      if (ql[row] > 0 && kl[row] == 0) {
        throw new IllegalArgumentException(this + ": query 0 of row " + row + " has every key masked"
            + " (key length 0" + (causal ? ", causal" : "") + ")");
      }
    }
    // Checked: from here on nothing throws, so the arrays of the last forward may be reused.
    int e = embedDim;
    float[] w = inProjWeight.value().data();
    float[] bias = inProjBias.value().data();
    self = query == key && key == value;
    if (self) {
      // one product for Q, K and V: x · in_proj_weightᵀ + in_proj_bias, (B·T, 3E)
      qkv = reuse(qkv, b * tq * 3 * e);
      project(query, w, 0, bias, 0, 3 * e, qkv);
      q = qkv;
      k = qkv;
      v = qkv;
      qOff = 0;
      kOff = e;
      vOff = 2 * e;
      ld = 3 * e;
    } else {
      q = crossQ = project(query, w, 0, bias, 0, e, reuse(crossQ, b * tq * e));
      k = crossK = project(key, w, e * e, bias, e, e, reuse(crossK, b * tk * e));
      v = crossV = project(value, w, 2 * e * e, bias, 2 * e, e, reuse(crossV, b * tk * e));
      qOff = 0;
      kOff = 0;
      vOff = 0;
      ld = e;
    }
    weights = reuse(weights, b * heads * tq * tk);
    context = reuse(context, b * tq * e);
    float scale = (float) (1 / Math.sqrt(headDim));
    Kernels kernels = Kernels.active();
    forEachRow(b, (row, task) -> {
      float[] kt = transposed[task] = reuse(transposed[task], headDim * tk);
      for (int h = 0; h < heads; h++) {
        int wOff = ((row * heads + h) * tq) * tk;
        // scores = Q_h K_hᵀ / sqrt(d)
        transpose(k, kOff + row * tk * ld + h * headDim, ld, tk, kt);
        kernels.product(tq, tk, headDim, scale, q, qOff + row * tq * ld + h * headDim, ld, 1, kt, 0, tk, weights,
            wOff, tk);
        if (!causal) { // every query of the row sees the same keys: its rows in one call
          kernels.softmaxRows(weights, wOff, tk, ql[row], kl[row]);
        }
        for (int i = 0; i < tq; i++) {
          int valid = i >= ql[row] ? 0 : causal ? Math.min(kl[row], i + 1) : kl[row];
          if (causal && valid > 0) {
            kernels.softmax(weights, wOff + i * tk, weights, wOff + i * tk, valid);
          }
          Arrays.fill(weights, wOff + i * tk + valid, wOff + (i + 1) * tk, 0f);
        }
        // context_h = weights V_h
        kernels.product(tq, headDim, tk, 1f, weights, wOff, tk, 1, v, vOff + row * tk * ld + h * headDim, ld, context,
            row * tq * e + h * headDim, e);
      }
    });
    Tensor out = into != null ? into : Tensor.zeros(b, tq, e);
    Gemm.gemmWithBias(false, true, b * tq, e, e, 1f, context, 0, e, outProjWeight.value().data(), 0, e,
        outProjBias.value().data(), 0, out.data(), 0, e);
    for (int row = 0; row < b; row++) {
      Arrays.fill(out.data(), (row * tq + ql[row]) * e, (row + 1) * tq * e, 0f);
    }
    this.query = query;
    this.key = key;
    this.value = value;
    this.queryLengths = ql;
    return out;
  }

  /** {@code old} when it has {@code size} elements (its contents are all overwritten), else a new array. */
  private static float[] reuse(float[] old, int size) {
    return old != null && old.length == size ? old : new float[size];
  }

  /** The work of one batch row, on task {@code task}; rows never share what they write. */
  private interface RowWork {
    void run(int row, int task);
  }

  /**
   * Runs {@code work} for every batch row, the rows split into contiguous chunks across the
   * available threads. Each row's numbers are computed the same way whatever the split, so results
   * are bit-identical for any thread count.
   */
  private void forEachRow(int rows, RowWork work) {
    int tasks = Math.max(1, Math.min(Parallel.tasksAvailable(), rows));
    if (dWeights.length < tasks) {
      dWeights = Arrays.copyOf(dWeights, tasks);
      transposed = Arrays.copyOf(transposed, tasks);
    }
    Parallel.run(tasks, task -> {
      for (int row = rows * task / tasks; row < rows * (task + 1) / tasks; row++) {
        work.run(row, task);
      }
    });
  }

  /**
   * {@code out[p, j] = x[off + j*ld + p]} for the head's {@code headDim} columns p and {@code rows} rows j,
   * four rows at a time, each read in order (2.3× faster than a column of all rows at a time: W7's
   * 128 transposes of 64×32 took 66 against 155 µs).
   */
  private void transpose(float[] x, int off, int ld, int rows, float[] out) {
    int j = 0;
    for (; j + 4 <= rows; j += 4) {
      int r0 = off + j * ld;
      int r1 = r0 + ld;
      int r2 = r1 + ld;
      int r3 = r2 + ld;
      for (int p = 0; p < headDim; p++) {
        int at = p * rows + j;
        out[at] = x[r0 + p];
        out[at + 1] = x[r1 + p];
        out[at + 2] = x[r2 + p];
        out[at + 3] = x[r3 + p];
      }
    }
    for (; j < rows; j++) {
      for (int p = 0; p < headDim; p++) {
        out[p * rows + j] = x[off + j * ld + p];
      }
    }
  }

  /**
   * x · W[rows from off]ᵀ + bias[from biasOff] into {@code out} with row stride {@code width}: the
   * {@code width / E} input projections that start at row {@code off / E} of W, side by side.
   */
  private float[] project(Tensor x, float[] w, int off, float[] bias, int biasOff, int width, float[] out) {
    Gemm.gemmWithBias(false, true, x.dim(0) * x.dim(1), width, embedDim, 1f, x.data(), 0, embedDim, w, off,
        embedDim, bias, biasOff, out, 0, width);
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
    return guard.call(this, "backward", () -> selfBackward(dy, null));
  }

  /**
   * As {@link #backward(Tensor)}, but writes d(loss)/d(x) into {@code dxOut} ({@code [B, T, E]},
   * every element overwritten) and returns it, like PyTorch's {@code out=}. {@code dxOut} must not
   * share its array with the forward's input or with {@code dy}.
   */
  public Tensor backward(Tensor dy, Tensor dxOut) {
    if (dxOut == null) {
      throw new IllegalArgumentException(this + ": dxOut is null (use backward(dy) for a new tensor)");
    }
    return guard.call(this, "backward", () -> selfBackward(dy, dxOut));
  }

  private Tensor selfBackward(Tensor dy, Tensor dxOut) {
    if (weights != null && !self) {
      throw new IllegalStateException(this + ": the last forward was cross-attention; use backwardAll");
    }
    if (weights != null && dxOut != null) { // else attentionBackward reports the missing forward
      checkInto(dxOut, "dxOut", query.shape());
      if (dxOut.data() == query.data() || (dy != null && dxOut.data() == dy.data())) {
        throw new IllegalArgumentException(this + ": dxOut must not share its array with the input x or with dy");
      }
    }
    attentionBackward(dy);
    // x fed Q, K and V: one product through the whole in-projection gives the sum of the three
    return projectBackward(query, dProjected, 0, 3 * embedDim, 0, 3, dxOut);
  }

  /** The gradients of query, key and value (separately, also for self-attention). */
  public Tensor[] backwardAll(Tensor dy) {
    return guard.call(this, "backward", () -> {
      attentionBackward(dy);
      return new Tensor[] {projectBackward(query, dProjected, 0, ld, 0, 1, null),
          projectBackward(key, self ? dProjected : dk, self ? embedDim : 0, ld, 1, 1, null),
          projectBackward(value, self ? dProjected : dv, self ? 2 * embedDim : 0, ld, 2, 1, null)};
    });
  }

  /**
   * Back through the out-projection and the heads: adds the out-projection's gradients and leaves
   * d(Q), d(K) and d(V) in {@code dProjected} (and {@code dk}, {@code dv} for cross-attention), laid
   * out as q, k and v.
   */
  private void attentionBackward(Tensor dy) {
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
    float[] g = dy.data();
    if (Arrays.stream(queryLengths).anyMatch(length -> length < tq)) {
      g = g.clone();
      for (int row = 0; row < b; row++) {
        Arrays.fill(g, (row * tq + queryLengths[row]) * e, (row + 1) * tq * e, 0f); // padded outputs are constants
      }
    }
    // out = context W_oᵀ + b_o. The bias sums and dContext before dW_o: they read g in order and
    // leave it in cache for dW_o, whose transposed reads of g, first from memory, took 0.72 ms
    // against 0.53 ms now (W7, 1 thread, the phase alone).
    RecurrentLayer.columnSums(g, b * tq, e, outProjBias.grad().data());
    dContext = reuse(dContext, b * tq * e);
    Gemm.gemm(false, false, b * tq, e, e, 1f, g, 0, e, outProjWeight.value().data(), 0, e, 0f, dContext, 0, e);
    Gemm.gemm(true, false, e, e, b * tq, 1f, g, 0, e, context, 0, e, 1f, outProjWeight.grad().data(), 0, e);
    // every slice of dQ, dK and dV below is written once (beta 0), so the arrays need no clearing
    float[] dq = dProjected = reuse(dProjected, self ? b * tq * 3 * e : b * tq * e);
    float[] dK = self ? dq : (dk = reuse(dk, b * tk * e));
    float[] dV = self ? dq : (dv = reuse(dv, b * tk * e));
    float scale = (float) (1 / Math.sqrt(headDim));
    Kernels kernels = Kernels.active();
    forEachRow(b, (row, task) -> {
      float[] dW = dWeights[task] = reuse(dWeights[task], tq * tk);
      float[] vt = transposed[task] = reuse(transposed[task], headDim * tk);
      for (int h = 0; h < heads; h++) {
        int wOff = ((row * heads + h) * tq) * tk;
        int cOff = row * tq * e + h * headDim;
        int qAt = qOff + row * tq * ld + h * headDim;
        int kAt = kOff + row * tk * ld + h * headDim;
        int vAt = vOff + row * tk * ld + h * headDim;
        // context_h = weights V_h: dWeights = dContext_h V_hᵀ, dV_h = weightsᵀ dContext_h
        transpose(v, vAt, ld, tk, vt);
        kernels.product(tq, tk, headDim, 1f, dContext, cOff, e, 1, vt, 0, tk, dW, 0, tk);
        kernels.product(tk, headDim, tq, 1f, weights, wOff, 1, tk, dContext, cOff, e, dV, vAt, ld);
        // softmax: dScores = w ⊙ (dWeights - Σ dWeights ⊙ w); masked keys have w = 0, so they get 0
        for (int i = 0; i < tq; i++) {
          kernels.softmaxBackward(weights, wOff + i * tk, dW, i * tk, dW, i * tk, tk);
        }
        // scores = Q_h K_hᵀ · scale
        kernels.product(tq, headDim, tk, scale, dW, 0, tk, 1, k, kAt, ld, dq, qAt, ld);
        kernels.product(tk, headDim, tq, scale, dW, 0, 1, tk, q, qAt, ld, dK, kAt, ld);
      }
    });
  }

  /**
   * Through {@code parts} consecutive input projections, from part {@code part}: adds their weight
   * and bias gradients and returns d(input), summed over the parts. {@code dProjected} holds their
   * gradients from {@code dOff} with row stride {@code ldd}. d(input) goes into {@code into} unless
   * it is null.
   */
  private Tensor projectBackward(Tensor x, float[] dProjected, int dOff, int ldd, int part, int parts, Tensor into) {
    int e = embedDim;
    int rows = x.dim(0) * x.dim(1);
    Tensor dx = into != null ? into : Tensor.zeros(x.shape());
    if (rows > 0) {
      Gemm.gemm(true, false, parts * e, e, rows, 1f, dProjected, dOff, ldd, x.data(), 0, e, 1f,
          inProjWeight.grad().data(), part * e * e, e);
      Gemm.gemm(false, false, rows, e, parts * e, 1f, dProjected, dOff, ldd, inProjWeight.value().data(), part * e * e,
          e, 0f, dx.data(), 0, e);
    }
    RecurrentLayer.columnSums(dProjected, dOff, ldd, rows, parts * e, inProjBias.grad().data(), part * e, null);
    return dx;
  }

  private void checkInto(Tensor into, String name, int[] shape) {
    if (!into.hasShape(shape)) {
      throw new IllegalArgumentException(this + ": expected " + name + " of shape " + Arrays.toString(shape) + ", got "
          + into.shapeString());
    }
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
