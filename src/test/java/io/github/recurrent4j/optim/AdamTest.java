package io.github.recurrent4j.optim;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class AdamTest {
  @ParameterizedTest
  @CsvSource({"adam_default, 0.001, 0.9, 0.999, 1e-8, 0, false", "adam_amsgrad_decay, 0.01, 0.9, 0.999, 1e-8, 0.1, true",
      "adam_betas, 0.05, 0.5, 0.9, 1e-6, 0, false"})
  void followsTorchOptimAdamStepByStep(String name, double lr, double beta1, double beta2, double eps, double decay,
      boolean amsgrad) {
    Map<String, Tensor> f = Fixtures.load("adam.safetensors");
    Parameter p = new Parameter("p", Fixtures.get(f, name, "initial").copy());
    Adam adam = new Adam(List.of(p), new Adam.Options(lr, beta1, beta2, eps, decay, amsgrad));
    Tensor grads = Fixtures.get(f, name, "grads");
    Tensor params = Fixtures.get(f, name, "params");
    int n = p.size();
    for (int step = 0; step < 5; step++) {
      adam.zeroGrad();
      System.arraycopy(grads.data(), step * n, p.grad().data(), 0, n);
      adam.step();
      assertClose(name + " step " + (step + 1), p.value().data(),
          Arrays.copyOfRange(params.data(), step * n, (step + 1) * n), 1e-7, 1e-6);
    }
  }

  @Test
  void optionsAreValidated() {
    assertThatThrownBy(() -> new Adam.Options(-1, 0.9, 0.999, 1e-8, 0, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Adam.Options: lr, eps and weightDecay must be >= 0, got lr=-1.0, eps=1.0E-8, weightDecay=0.0");
    assertThatThrownBy(() -> new Adam.Options(1e-3, 1, 0.999, 1e-8, 0, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Adam.Options: betas must be in [0, 1), got beta1=1.0, beta2=0.999");
    assertThatThrownBy(() -> new Adam(List.of(), 1e-3))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("Adam: needs at least one parameter");
  }
}
