package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Tensor;

/**
 * A trainable tensor and its gradient, which has the same shape. Layers add into {@link #grad()}
 * in backward; optimizers read both and update {@link #value()} in place. The name is the key of
 * the tensor in its layer's state dict, in PyTorch's style ({@code weight}, {@code bias_ih_l0}).
 */
public final class Parameter {
  private final String name;
  private final Tensor value;
  private final float[] array; // value's data, read without counting as a change
  private final Tensor grad;

  public Parameter(String name, Tensor value) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("Parameter: name must be non-empty, got " + (name == null ? "null" : "\"\""));
    }
    if (value == null) {
      throw new IllegalArgumentException("Parameter " + name + ": value is null");
    }
    this.name = name;
    this.value = value;
    this.array = value.data();
    this.grad = Tensor.zerosLike(value);
  }

  private Parameter(String name, Tensor value, float[] array, Tensor grad) {
    this.name = name;
    this.value = value;
    this.array = array;
    this.grad = grad;
  }

  /** The same value and gradient under {@code prefix + name()}, for models that hold several layers. */
  public Parameter prefixed(String prefix) {
    return new Parameter(prefix + name, value, array, grad);
  }

  /** Adds {@code delta} (the shape of {@link #value()}) into {@link #grad()}. */
  public void accumulateGrad(Tensor delta) {
    if (delta == null || !delta.hasShape(value.shape())) {
      throw new IllegalArgumentException("Parameter " + name + ": expected a gradient of shape " + value.shapeString()
          + ", got " + (delta == null ? "null" : delta.shapeString()));
    }
    float[] g = grad.data();
    float[] d = delta.data();
    for (int i = 0; i < g.length; i++) {
      g[i] += d[i];
    }
  }

  public String name() {
    return name;
  }

  /** The live value; optimizers update it in place. */
  public Tensor value() {
    return value;
  }

  /**
   * The value's live array for the layers' own reads: unlike {@code value().data()} it does not
   * count as a change of the value ({@link Tensor#version()}), so that a forward pass does not
   * make a stream repack weights that did not change. Never written through.
   */
  float[] array() {
    return array;
  }

  /** The accumulated gradient of the loss with respect to {@link #value()}. */
  public Tensor grad() {
    return grad;
  }

  /** Sets the gradient to zero. */
  public void zeroGrad() {
    grad.fill(0f);
  }

  /** The number of elements. */
  public int size() {
    return value.size();
  }

  @Override
  public String toString() {
    return "Parameter " + name + value.shapeString();
  }
}
