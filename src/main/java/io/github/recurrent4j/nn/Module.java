package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Anything that owns parameters: it lists them, and saves and loads them by PyTorch's
 * {@code state_dict()} names and shapes. {@link Layer} adds the tensor forward and backward;
 * {@link Embedding}, whose input is token ids, is a module but not a layer.
 */
public interface Module {
  /** The trainable parameters, in state-dict order. */
  List<Parameter> parameters();

  /**
   * A snapshot of the parameters by PyTorch's names and shapes: copies, so that later training
   * does not change it.
   */
  default Map<String, Tensor> stateDict() {
    return StateDict.snapshot(parameters());
  }

  /**
   * Loads parameters by name, strictly: unknown, missing and mis-shaped keys are all reported in
   * one {@link StateDictException}, and then nothing is changed.
   */
  default void loadStateDict(Map<String, Tensor> weights) {
    StateDict.load(toString(), parameters(), weights);
  }

  /** Sets every parameter's gradient to zero. */
  default void zeroGrad() {
    for (Parameter p : parameters()) {
      p.zeroGrad();
    }
  }

  /** The number of trainable scalars. */
  default long parameterCount() {
    long count = 0;
    for (Parameter p : parameters()) {
      count += p.size();
    }
    return count;
  }
}
