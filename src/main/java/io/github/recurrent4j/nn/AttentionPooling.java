package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Attention pooling, the "BiLSTM + attention" classifier head: a learned query {@code u} attends over
 * each row's valid steps and returns their weighted sum, {@code [B, T, F] -> [B, F]}:
 * <pre>
 *   α_t = softmax_t(score(u, h_t))  over t &lt; lengths[b]        y = Σ_t α_t h_t
 * </pre>
 * The default score is additive (Bahdanau, as in Yang et al.'s hierarchical attention networks):
 * {@code vᵀ tanh(W_q u + W_k h_t)}. Padded steps get exactly zero weight and zero gradient. A row of
 * length 0 has nothing to pool and is an {@link IllegalArgumentException}.
 */
public final class AttentionPooling implements SequenceLayer {
  private final int features;
  private final Parameter query; // (F)
  private final Attention attention;
  private Attention.Attended last;

  /** Additive scoring with an attention layer of {@code features} units. */
  public AttentionPooling(int features, Rng rng) {
    this(features, Attention.Score.ADDITIVE, features, rng);
  }

  /** {@code hidden} is the additive score's layer size (0 for the other scores). */
  public AttentionPooling(int features, Attention.Score score, int hidden, Rng rng) {
    if (features <= 0) {
      throw new IllegalArgumentException("AttentionPooling: features must be positive, got " + features);
    }
    this.features = features;
    double bound = 1 / Math.sqrt(features);
    this.query = new Parameter("query", Init.uniform(Tensor.zeros(features), -bound, bound, rng));
    this.attention = new Attention(score, features, features, hidden, rng);
  }
  @Override
  public Tensor forward(Tensor x, int[] lengths) {
    return LayerErrors.within(this, () -> checkedForward(x, lengths));
  }

  private Tensor checkedForward(Tensor x, int[] lengths) {
    if (x == null || x.rank() != 3 || x.dim(2) != features) {
      throw new IllegalArgumentException(this + ": expected input [batch, time, " + features + "], got "
          + (x == null ? "null" : x.shapeString()));
    }
    int b = x.dim(0);
    Tensor q = Tensor.zeros(b, features);
    for (int row = 0; row < b; row++) {
      System.arraycopy(query.value().data(), 0, q.data(), row * features, features);
    }
    last = attention.attend(q, x, x, lengths);
    return last.context();
  }

  /** The pooling weights of the last forward, (B, T). */
  public Tensor weights() {
    if (last == null) {
      throw new IllegalStateException(this + ": weights() called before forward");
    }
    return last.weights();
  }
  @Override
  public Tensor backward(Tensor dy) {
    return LayerErrors.within(this, () -> checkedBackward(dy));
  }

  private Tensor checkedBackward(Tensor dy) {
    if (last == null) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    Attention.Grads grads = last.backward(dy);
    float[] dq = grads.query().data();
    float[] into = query.grad().data();
    for (int i = 0; i < dq.length; i++) {
      into[i % features] += dq[i];
    }
    Tensor dx = grads.keys();
    float[] dv = grads.values().data();
    for (int i = 0; i < dv.length; i++) {
      dx.data()[i] += dv[i];
    }
    return dx;
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> all = new ArrayList<>();
    all.add(query);
    all.addAll(attention.parameters());
    return all;
  }

  @Override
  public String toString() {
    return "AttentionPooling(features=" + features + ", " + attention.score() + ")";
  }
}
