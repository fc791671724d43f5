package io.github.recurrent4j.optim;

import io.github.recurrent4j.nn.Parameter;
import java.util.List;

/**
 * AdamW (Loshchilov &amp; Hutter 2019), as {@code torch.optim.AdamW}: Adam whose weight decay shrinks
 * the parameters directly, {@code p *= 1 - lr·λ}, before the Adam step, instead of joining the
 * gradient. PyTorch's default λ is 0.01.
 */
public final class AdamW extends Adam {
  public AdamW(List<Parameter> parameters, Options options) {
    super(parameters, options);
  }

  /** With PyTorch's defaults (weight decay 0.01) and the given learning rate. */
  public AdamW(List<Parameter> parameters, double lr) {
    this(parameters, Options.defaults().withLr(lr).withWeightDecay(0.01));
  }

  @Override
  protected boolean decoupledWeightDecay() {
    return true;
  }
}
