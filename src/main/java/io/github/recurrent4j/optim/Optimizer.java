package io.github.recurrent4j.optim;

import io.github.recurrent4j.nn.Parameter;
import java.util.List;

/**
 * Updates parameters from their gradients. An optimizer sees only parameters, never layers; layers
 * never see learning rates.
 */
public abstract class Optimizer {
  protected final List<Parameter> parameters;

  protected Optimizer(List<Parameter> parameters) {
    if (parameters == null || parameters.isEmpty()) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": needs at least one parameter");
    }
    for (int i = 0; i < parameters.size(); i++) {
      if (parameters.get(i) == null) {
        throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter " + i + " is null");
      }
    }
    this.parameters = List.copyOf(parameters);
  }

  /** The parameters this optimizer updates. */
  public List<Parameter> parameters() {
    return parameters;
  }

  /** Sets every parameter's gradient to zero. */
  public void zeroGrad() {
    for (Parameter p : parameters) {
      p.zeroGrad();
    }
  }

  /** One update from the current gradients. */
  public abstract void step();
}
