package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.List;

/**
 * Inverted dropout, as {@code torch.nn.Dropout}: while training, each element is zeroed with
 * probability p and the rest are scaled by 1/(1-p), so evaluation needs no scaling; in evaluation
 * ({@code setTraining(false)}) it is the identity. The masks come from the layer's own seeded
 * generator.
 */
public final class Dropout implements Layer {
  private final float p;
  private final Rng rng;
  private boolean training = true;
  private float[] mask; // (the input's shape) of the last training forward; null for the identity

  public Dropout(double p, Rng rng) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
    }
    if (rng == null) {
      throw new IllegalArgumentException("Dropout: rng must not be null");
    }
    this.p = (float) p;
    this.rng = rng;
  }

  /** Training (masks on) or evaluation (the identity), as PyTorch's {@code train()} and {@code eval()}. */
  public Dropout setTraining(boolean value) {
    training = value;
    return this;
  }

  public boolean isTraining() {
    return training;
  }

  @Override
  public Tensor forward(Tensor x) {
    if (x == null) {
      throw new IllegalArgumentException(this + ": input is null");
    }
    if (!training || p == 0f) {
      mask = null;
      return x;
    }
    float keep = 1f - p;
    float scale = 1f / keep;
    mask = new float[x.size()];
    Tensor y = Tensor.zerosLike(x);
    for (int i = 0; i < mask.length; i++) {
      mask[i] = rng.nextFloat() < keep ? scale : 0f;
      y.data()[i] = x.data()[i] * mask[i];
    }
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    if (dy == null) {
      throw new IllegalArgumentException(this + ": gradOutput is null");
    }
    if (mask == null) {
      return dy;
    }
    if (dy.size() != mask.length) {
      throw new IllegalArgumentException(this + ": gradOutput has " + dy.size() + " elements, the input had "
          + mask.length);
    }
    Tensor dx = Tensor.zerosLike(dy);
    for (int i = 0; i < mask.length; i++) {
      dx.data()[i] = dy.data()[i] * mask[i];
    }
    return dx;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of();
  }

  @Override
  public String toString() {
    return "Dropout(p=" + p + ")";
  }
}
