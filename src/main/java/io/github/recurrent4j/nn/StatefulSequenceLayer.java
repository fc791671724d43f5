package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Tensor;

/**
 * A sequence layer with a recurrent state: it starts from an initial state, exposes its final
 * state, takes the final state's gradient in backward and gives the initial state's, so that an
 * encoder's final state can seed a decoder and be trained through it. States are in PyTorch's
 * layout, {@code [layers·directions, B, H]}.
 */
public interface StatefulSequenceLayer extends SequenceLayer {
  /** The training forward from {@code initial} ({@code null} or null components mean zeros). */
  Tensor forward(Tensor input, int[] lengths, RnnState initial);

  /** The state after the last training forward, at each row's last valid step. */
  RnnState finalState();

  /** Backpropagation from the gradients of the output and of the final state ({@code null} for zeros). */
  Tensor backward(Tensor gradOutput, RnnState gradFinal);

  /** d(loss)/d(initial state) from the last backward. */
  RnnState initialStateGrad();

  @Override
  default Tensor forward(Tensor input, int[] lengths) {
    return forward(input, lengths, null);
  }

  @Override
  default Tensor backward(Tensor gradOutput) {
    return backward(gradOutput, null);
  }
}
