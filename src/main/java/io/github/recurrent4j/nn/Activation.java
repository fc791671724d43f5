package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.tensor.Tensor;
import java.util.List;

/** An element-wise nonlinearity as a layer: tanh, sigmoid or relu, with its derivative from its output. */
public final class Activation implements Layer {
  /** Which function. */
  public enum Kind { TANH, SIGMOID, RELU }

  private final Kind kind;
  private Tensor output; // of the last forward

  public Activation(Kind kind) {
    if (kind == null) {
      throw new IllegalArgumentException("Activation: kind must not be null");
    }
    this.kind = kind;
  }

  @Override
  public Tensor forward(Tensor x) {
    if (x == null) {
      throw new IllegalArgumentException(this + ": input is null");
    }
    Tensor y = Tensor.zerosLike(x);
    Kernels k = Kernels.active();
    switch (kind) {
      case TANH -> k.tanh(x.data(), 0, y.data(), 0, x.size());
      case SIGMOID -> k.sigmoid(x.data(), 0, y.data(), 0, x.size());
      case RELU -> k.relu(x.data(), 0, y.data(), 0, x.size());
    }
    output = y;
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    if (output == null) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    if (dy == null || !dy.hasShape(output.shape())) {
      throw new IllegalArgumentException(this + ": expected gradOutput of shape " + output.shapeString() + ", got "
          + (dy == null ? "null" : dy.shapeString()));
    }
    Tensor dx = Tensor.zerosLike(dy);
    Kernels k = Kernels.active();
    switch (kind) {
      case TANH -> k.tanhBackward(output.data(), 0, dy.data(), 0, dx.data(), 0, dy.size());
      case SIGMOID -> k.sigmoidBackward(output.data(), 0, dy.data(), 0, dx.data(), 0, dy.size());
      case RELU -> k.reluBackward(output.data(), 0, dy.data(), 0, dx.data(), 0, dy.size());
    }
    return dx;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of();
  }

  @Override
  public String toString() {
    return "Activation(" + kind.name().toLowerCase() + ")";
  }
}
