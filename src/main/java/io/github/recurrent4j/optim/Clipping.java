package io.github.recurrent4j.optim;

import io.github.recurrent4j.nn.Parameter;
import java.util.List;

/** Gradient clipping, as {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_}. */
public final class Clipping {
  private Clipping() {}

  /**
   * Scales all gradients together so that their global L2 norm is at most {@code maxNorm}: by
   * {@code maxNorm / (norm + 1e-6)} when that is below 1, as PyTorch. Returns the norm before
   * clipping (summed in double), which is non-finite when a gradient is.
   */
  public static double clipGradNorm(List<Parameter> parameters, double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("Clipping.clipGradNorm: maxNorm must be > 0, got " + maxNorm);
    }
    double sumSq = 0;
    for (Parameter p : parameters) {
      for (float g : p.grad().data()) {
        sumSq += (double) g * g;
      }
    }
    double norm = Math.sqrt(sumSq);
    double coefficient = maxNorm / (norm + 1e-6);
    if (coefficient < 1) {
      float c = (float) coefficient;
      for (Parameter p : parameters) {
        float[] g = p.grad().data();
        for (int i = 0; i < g.length; i++) {
          g[i] *= c;
        }
      }
    }
    return norm;
  }

  /** Clamps every gradient element to {@code [-clipValue, clipValue]}. */
  public static void clipGradValue(List<Parameter> parameters, double clipValue) {
    if (!(clipValue > 0)) {
      throw new IllegalArgumentException("Clipping.clipGradValue: clipValue must be > 0, got " + clipValue);
    }
    float c = (float) clipValue;
    for (Parameter p : parameters) {
      float[] g = p.grad().data();
      for (int i = 0; i < g.length; i++) {
        g[i] = Math.max(-c, Math.min(c, g[i]));
      }
    }
  }
}
