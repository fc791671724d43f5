package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Tensor;

/**
 * A differentiable function of one tensor with its own backward pass.
 *
 * <p>{@link #forward} remembers what {@link #backward} needs (the input is kept by reference, so
 * do not change it in between). {@link #backward} adds {@code d(loss)/d(parameter)} into each
 * {@link Parameter#grad()} and returns {@code d(loss)/d(input)}; gradients accumulate until
 * {@link #zeroGrad()}. Calling backward before forward, or with a gradient whose shape is not the
 * output's, is an {@link IllegalStateException} or {@link IllegalArgumentException} naming the layer.
 */
public interface Layer extends Module {
  /** The training forward pass. */
  Tensor forward(Tensor input);

  /** Accumulates parameter gradients and returns the gradient of the input of the last {@link #forward}. */
  Tensor backward(Tensor gradOutput);
}
