package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Gemm;
import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Attention of queries over a padded sequence of keys and values:
 * <pre>
 *   α_ij = softmax_j(score(q_i, k_j))  over the row's first keyLengths[b] keys
 *   context_i = Σ_j α_ij v_j
 * </pre>
 * with one of four scores ({@link Score}). Shapes: query (B, Tq, Dq) or one query per row (B, Dq);
 * keys (B, Tk, Dk); values (B, Tk, Dv); context (B, Tq, Dv) or (B, Dv); weights (B, Tq, Tk) or (B, Tk).
 *
 * <p>Each {@link #attend} returns an {@link Attended} that holds its own cache, so one module can be
 * called once per decoder step and every step back-propagated later, like a layer's runs. Keys past
 * a row's length get exactly zero weight and zero gradient; a row with no keys is an
 * {@link IllegalArgumentException}, never NaN. Softmax subtracts the row maximum, so large scores
 * stay finite.
 */
public final class Attention implements Module {
  /** How a query is compared with a key. */
  public enum Score {
    /** Luong's dot: {@code q·k} (Dq = Dk). */
    DOT,
    /** Luong's general: {@code qᵀ W k}, {@code W} (Dq, Dk). */
    GENERAL,
    /** Bahdanau's additive: {@code vᵀ tanh(W_q q + W_k k)}, {@code W_q} (H, Dq), {@code W_k} (H, Dk), {@code v} (H). */
    ADDITIVE,
    /** Vaswani's scaled dot-product: {@code q·k / sqrt(Dk)} (Dq = Dk). */
    SCALED_DOT
  }

  private final Score score;
  private final int queryDim;
  private final int keyDim;
  private final int hidden; // ADDITIVE only
  private final List<Parameter> parameters;
  private final Parameter weight; // GENERAL (Dq, Dk)
  private final Parameter queryWeight; // ADDITIVE (H, Dq)
  private final Parameter keyWeight; // ADDITIVE (H, Dk)
  private final Parameter vector; // ADDITIVE (H)

  /** A parameter-free score ({@link Score#DOT} or {@link Score#SCALED_DOT}) over vectors of size {@code dim}. */
  public static Attention dot(int dim, boolean scaled) {
    return new Attention(scaled ? Score.SCALED_DOT : Score.DOT, dim, dim, 0, Rng.fromDefault());
  }

  /** Luong's general score. */
  public static Attention general(int queryDim, int keyDim, Rng rng) {
    return new Attention(Score.GENERAL, queryDim, keyDim, 0, rng);
  }

  /** Bahdanau's additive score with an attention layer of {@code hidden} units. */
  public static Attention additive(int queryDim, int keyDim, int hidden, Rng rng) {
    return new Attention(Score.ADDITIVE, queryDim, keyDim, hidden, rng);
  }

  /**
   * {@code hidden} is used by {@link Score#ADDITIVE} only (pass 0 otherwise). Weights are
   * Glorot-uniform; {@code v} is uniform in ±1/sqrt(H).
   */
  public Attention(Score score, int queryDim, int keyDim, int hidden, Rng rng) {
    if (score == null) {
      throw new IllegalArgumentException("Attention: score must not be null");
    }
    if (queryDim <= 0 || keyDim <= 0) {
      throw new IllegalArgumentException("Attention: queryDim and keyDim must be positive, got " + queryDim + " and "
          + keyDim);
    }
    if ((score == Score.DOT || score == Score.SCALED_DOT) && queryDim != keyDim) {
      throw new IllegalArgumentException("Attention: the " + score + " score needs queryDim == keyDim, got "
          + queryDim + " and " + keyDim);
    }
    if (score == Score.ADDITIVE ? hidden <= 0 : hidden != 0) {
      throw new IllegalArgumentException("Attention: hidden must be positive for ADDITIVE and 0 otherwise, got "
          + hidden + " for " + score);
    }
    this.score = score;
    this.queryDim = queryDim;
    this.keyDim = keyDim;
    this.hidden = hidden;
    weight = score == Score.GENERAL
        ? new Parameter("weight", Init.glorotUniform(Tensor.zeros(queryDim, keyDim), rng)) : null;
    if (score == Score.ADDITIVE) {
      queryWeight = new Parameter("query_weight", Init.glorotUniform(Tensor.zeros(hidden, queryDim), rng));
      keyWeight = new Parameter("key_weight", Init.glorotUniform(Tensor.zeros(hidden, keyDim), rng));
      double bound = 1 / Math.sqrt(hidden);
      vector = new Parameter("v", Init.uniform(Tensor.zeros(hidden), -bound, bound, rng));
    } else {
      queryWeight = null;
      keyWeight = null;
      vector = null;
    }
    parameters = switch (score) {
      case GENERAL -> List.of(weight);
      case ADDITIVE -> List.of(queryWeight, keyWeight, vector);
      default -> List.of();
    };
  }

  public Score score() {
    return score;
  }

  /** The context vectors and weights of {@code query} over the first {@code keyLengths[b]} keys (null: all). */
  public Attended attend(Tensor query, Tensor keys, Tensor values, int[] keyLengths) {
    boolean single = query != null && query.rank() == 2;
    if (query == null || (query.rank() != 3 && !single) || query.dim(query.rank() - 1) != queryDim) {
      throw new IllegalArgumentException(this + ": expected query [batch, " + queryDim + "] or [batch, time, "
          + queryDim + "], got " + (query == null ? "null" : query.shapeString()));
    }
    if (keys == null || keys.rank() != 3 || keys.dim(2) != keyDim) {
      throw new IllegalArgumentException(this + ": expected keys [batch, time, " + keyDim + "], got "
          + (keys == null ? "null" : keys.shapeString()));
    }
    int b = query.dim(0);
    int tk = keys.dim(1);
    if (keys.dim(0) != b || values == null || values.rank() != 3 || values.dim(0) != b || values.dim(1) != tk) {
      throw new IllegalArgumentException(this + ": keys " + keys.shapeString() + " and values "
          + (values == null ? "null" : values.shapeString()) + " must be [" + b + ", Tk, *] with the same Tk");
    }
    int[] lengths = SequenceLengths.check(this, keyLengths, b, tk);
    for (int row = 0; row < b; row++) {
      if (lengths[row] == 0) {
        throw new IllegalArgumentException(this + ": row " + row + " has no keys (key length 0), so there is"
            + " nothing to attend to");
      }
    }
    Attended a = new Attended(single, single ? query.reshape(b, 1, queryDim) : query, keys, values, lengths);
    a.forward();
    return a;
  }

  /** One call of {@link #attend}: its results and its backward. */
  public final class Attended {
    private final boolean single;
    private final Tensor query; // (B, Tq, Dq)
    private final Tensor keys;
    private final Tensor values;
    private final int[] lengths;
    private final int b;
    private final int tq;
    private final int tk;
    private final int dv;
    private float[] queryProjected; // GENERAL (B, Tq, Dk) = q W; ADDITIVE (B, Tq, H)
    private float[] keysProjected; // ADDITIVE (B, Tk, H)
    private float[] activations; // ADDITIVE tanh(...) (B, Tq, Tk, H)
    private float[] weights; // (B, Tq, Tk)
    private Tensor context; // (B, Tq, Dv)
    private boolean backwardDone;

    private Attended(boolean single, Tensor query, Tensor keys, Tensor values, int[] lengths) {
      this.single = single;
      this.query = query;
      this.keys = keys;
      this.values = values;
      this.lengths = lengths;
      this.b = query.dim(0);
      this.tq = query.dim(1);
      this.tk = keys.dim(1);
      this.dv = values.dim(2);
    }

    private void forward() {
      weights = new float[b * tq * tk];
      float[] q = query.data();
      float[] k = keys.data();
      int dq = queryDim;
      int dk = keyDim;
      switch (score) {
        case DOT, SCALED_DOT -> {
          float scale = score == Score.SCALED_DOT ? (float) (1 / Math.sqrt(dk)) : 1f;
          for (int row = 0; row < b; row++) {
            Gemm.gemm(false, true, tq, tk, dk, scale, q, row * tq * dq, dq, k, row * tk * dk, dk, 0f, weights,
                row * tq * tk, tk);
          }
        }
        case GENERAL -> {
          queryProjected = new float[b * tq * dk];
          Gemm.gemm(false, false, b * tq, dk, dq, 1f, q, 0, dq, weight.value().data(), 0, dk, 0f, queryProjected, 0,
              dk);
          for (int row = 0; row < b; row++) {
            Gemm.gemm(false, true, tq, tk, dk, 1f, queryProjected, row * tq * dk, dk, k, row * tk * dk, dk, 0f, weights,
                row * tq * tk, tk);
          }
        }
        case ADDITIVE -> {
          queryProjected = new float[b * tq * hidden];
          keysProjected = new float[b * tk * hidden];
          Gemm.gemm(false, true, b * tq, hidden, dq, 1f, q, 0, dq, queryWeight.value().data(), 0, dq, 0f,
              queryProjected, 0, hidden);
          Gemm.gemm(false, true, b * tk, hidden, dk, 1f, k, 0, dk, keyWeight.value().data(), 0, dk, 0f,
              keysProjected, 0, hidden);
          activations = new float[b * tq * tk * hidden];
          float[] pre = new float[hidden];
          float[] v = vector.value().data();
          Kernels kernels = Kernels.active();
          for (int row = 0; row < b; row++) {
            for (int i = 0; i < tq; i++) {
              for (int j = 0; j < lengths[row]; j++) {
                int qOff = (row * tq + i) * hidden;
                int kOff = (row * tk + j) * hidden;
                int aOff = ((row * tq + i) * tk + j) * hidden;
                for (int u = 0; u < hidden; u++) {
                  pre[u] = queryProjected[qOff + u] + keysProjected[kOff + u];
                }
                kernels.tanh(pre, 0, activations, aOff, hidden);
                double s = 0;
                for (int u = 0; u < hidden; u++) {
                  s += (double) v[u] * activations[aOff + u];
                }
                weights[(row * tq + i) * tk + j] = (float) s;
              }
            }
          }
        }
        default -> throw new AssertionError(score);
      }
      Kernels kernels = Kernels.active();
      context = Tensor.zeros(b, tq, dv);
      for (int row = 0; row < b; row++) {
        int n = lengths[row];
        for (int i = 0; i < tq; i++) {
          int off = (row * tq + i) * tk;
          for (int j = 0; j < n; j++) {
            if (!Float.isFinite(weights[off + j])) {
              throw new IllegalArgumentException(Attention.this + ": score of query " + i + " and key " + j
                  + " in row " + row + " is " + weights[off + j] + " (non-finite query or keys?)");
            }
          }
          kernels.softmax(weights, off, weights, off, n);
          Arrays.fill(weights, off + n, off + tk, 0f);
        }
        Gemm.gemm(false, false, tq, dv, tk, 1f, weights, row * tq * tk, tk, values.data(), row * tk * dv, dv, 0f,
            context.data(), row * tq * dv, dv);
      }
    }

    /** The context vectors: (B, Tq, Dv), or (B, Dv) for a single query per row. */
    public Tensor context() {
      return single ? context.reshape(b, dv) : context;
    }

    /** The attention weights: (B, Tq, Tk), or (B, Tk); zero at masked keys, each row sums to 1. */
    public Tensor weights() {
      return single ? Tensor.of(weights, b, tk) : Tensor.of(weights, b, tq, tk);
    }

    /** {@link #backward(Tensor, Tensor)} with no gradient on the weights. */
    public Grads backward(Tensor gradContext) {
      return backward(gradContext, null);
    }

    /**
     * Adds the parameter gradients and returns those of the query, keys and values, given the
     * gradient of the context (shaped as {@link #context()}) and optionally of the weights (shaped as
     * {@link #weights()}, null for none). Once per attend.
     */
    public Grads backward(Tensor gradContext, Tensor gradWeights) {
      int[] cShape = single ? new int[] {b, dv} : new int[] {b, tq, dv};
      if (gradContext == null || !gradContext.hasShape(cShape)) {
        throw new IllegalArgumentException(Attention.this + ": expected gradContext of shape "
            + Arrays.toString(cShape) + ", got " + (gradContext == null ? "null" : gradContext.shapeString()));
      }
      int[] wShape = single ? new int[] {b, tk} : new int[] {b, tq, tk};
      if (gradWeights != null && !gradWeights.hasShape(wShape)) {
        throw new IllegalArgumentException(Attention.this + ": expected gradWeights of shape "
            + Arrays.toString(wShape) + ", got " + gradWeights.shapeString());
      }
      if (backwardDone) {
        throw new IllegalStateException(Attention.this + ": backward called twice for one attend");
      }
      backwardDone = true;
      int dq = queryDim;
      int dk = keyDim;
      float[] g = gradContext.data();
      float[] dValues = new float[b * tk * dv];
      float[] dScores = new float[b * tq * tk];
      for (int row = 0; row < b; row++) {
        // context = α V: dα = dC Vᵀ, dV = αᵀ dC
        Gemm.gemm(false, true, tq, tk, dv, 1f, g, row * tq * dv, dv, values.data(), row * tk * dv, dv, 0f, dScores,
            row * tq * tk, tk);
        Gemm.gemm(true, false, tk, dv, tq, 1f, weights, row * tq * tk, tk, g, row * tq * dv, dv, 0f, dValues,
            row * tk * dv, dv);
      }
      if (gradWeights != null) {
        float[] gw = gradWeights.data();
        for (int i = 0; i < dScores.length; i++) {
          dScores[i] += gw[i];
        }
      }
      // softmax: dS = α ⊙ (dα - Σ dα ⊙ α); masked keys get exactly 0
      for (int r = 0; r < b * tq; r++) {
        int n = lengths[r / tq];
        // the scalar kernel: its sum in double keeps this layer's training runs as they were; MultiHeadAttention,
        // with many more rows, uses the active kernel's
        Kernels.scalar().softmaxBackward(weights, r * tk, dScores, r * tk, dScores, r * tk, n);
        Arrays.fill(dScores, r * tk + n, (r + 1) * tk, 0f); // whatever the padded keys hold
      }
      float[] q = query.data();
      float[] k = keys.data();
      float[] dQuery = new float[b * tq * dq];
      float[] dKeys = new float[b * tk * dk];
      switch (score) {
        case DOT, SCALED_DOT -> {
          float scale = score == Score.SCALED_DOT ? (float) (1 / Math.sqrt(dk)) : 1f;
          for (int row = 0; row < b; row++) {
            Gemm.gemm(false, false, tq, dk, tk, scale, dScores, row * tq * tk, tk, k, row * tk * dk, dk, 0f, dQuery,
                row * tq * dq, dq);
            Gemm.gemm(true, false, tk, dk, tq, scale, dScores, row * tq * tk, tk, q, row * tq * dq, dq, 0f, dKeys,
                row * tk * dk, dk);
          }
        }
        case GENERAL -> {
          float[] dProjected = new float[b * tq * dk];
          for (int row = 0; row < b; row++) {
            Gemm.gemm(false, false, tq, dk, tk, 1f, dScores, row * tq * tk, tk, k, row * tk * dk, dk, 0f, dProjected,
                row * tq * dk, dk);
            Gemm.gemm(true, false, tk, dk, tq, 1f, dScores, row * tq * tk, tk, queryProjected, row * tq * dk, dk, 0f,
                dKeys, row * tk * dk, dk);
          }
          // qW: dW += qᵀ dP, dq = dP Wᵀ
          Gemm.gemm(true, false, dq, dk, b * tq, 1f, q, 0, dq, dProjected, 0, dk, 1f, weight.grad().data(), 0, dk);
          Gemm.gemm(false, true, b * tq, dq, dk, 1f, dProjected, 0, dk, weight.value().data(), 0, dk, 0f, dQuery, 0,
              dq);
        }
        case ADDITIVE -> {
          float[] v = vector.value().data();
          float[] dv2 = vector.grad().data();
          double[] dVector = new double[hidden];
          float[] dQueryProjected = new float[b * tq * hidden];
          float[] dKeysProjected = new float[b * tk * hidden];
          for (int row = 0; row < b; row++) {
            for (int i = 0; i < tq; i++) {
              for (int j = 0; j < lengths[row]; j++) {
                float ds = dScores[(row * tq + i) * tk + j];
                int qOff = (row * tq + i) * hidden;
                int kOff = (row * tk + j) * hidden;
                int aOff = ((row * tq + i) * tk + j) * hidden;
                for (int u = 0; u < hidden; u++) {
                  float t = activations[aOff + u];
                  dVector[u] += (double) ds * t;
                  float dPre = ds * v[u] * (1 - t * t);
                  dQueryProjected[qOff + u] += dPre;
                  dKeysProjected[kOff + u] += dPre;
                }
              }
            }
          }
          for (int u = 0; u < hidden; u++) {
            dv2[u] += (float) dVector[u];
          }
          Gemm.gemm(true, false, hidden, dq, b * tq, 1f, dQueryProjected, 0, hidden, q, 0, dq, 1f,
              queryWeight.grad().data(), 0, dq);
          Gemm.gemm(false, false, b * tq, dq, hidden, 1f, dQueryProjected, 0, hidden, queryWeight.value().data(), 0,
              dq, 0f, dQuery, 0, dq);
          Gemm.gemm(true, false, hidden, dk, b * tk, 1f, dKeysProjected, 0, hidden, k, 0, dk, 1f,
              keyWeight.grad().data(), 0, dk);
          Gemm.gemm(false, false, b * tk, dk, hidden, 1f, dKeysProjected, 0, hidden, keyWeight.value().data(), 0, dk,
              0f, dKeys, 0, dk);
        }
        default -> throw new AssertionError(score);
      }
      Tensor gq = single ? Tensor.of(dQuery, b, dq) : Tensor.of(dQuery, b, tq, dq);
      return new Grads(gq, Tensor.of(dKeys, b, tk, dk), Tensor.of(dValues, b, tk, dv));
    }
  }

  /** The gradients of one attend's inputs. */
  public record Grads(Tensor query, Tensor keys, Tensor values) {
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  @Override
  public String toString() {
    return "Attention(" + score + ", queryDim=" + queryDim + ", keyDim=" + keyDim
        + (score == Score.ADDITIVE ? ", hidden=" + hidden : "") + ")";
  }
}
