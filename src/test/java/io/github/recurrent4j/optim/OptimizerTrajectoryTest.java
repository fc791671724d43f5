package io.github.recurrent4j.optim;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.loss.MeanSquaredError;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.nn.StateDictException;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** 20 steps of each optimizer on a small model against torch.optim's trajectory (tools/make_fixtures.py). */
class OptimizerTrajectoryTest {
  static Optimizer make(String name, List<Parameter> p) {
    return switch (name) {
      case "sgd" -> new Sgd(p, 0.1);
      case "sgd_momentum_decay" -> new Sgd(p, new Sgd.Options(0.05, 0.9, 0.1, 0.01, false));
      case "sgd_nesterov" -> new Sgd(p, new Sgd.Options(0.05, 0.9, 0, 0, true));
      case "adam" -> new Adam(p, 0.01);
      case "adam_amsgrad_decay" -> new Adam(p, Adam.Options.defaults().withLr(0.01).withAmsgrad(true)
          .withWeightDecay(0.05));
      case "adamw" -> new AdamW(p, 0.01);
      case "adamw_amsgrad_decay" -> new AdamW(p, Adam.Options.defaults().withLr(0.01).withWeightDecay(0.1)
          .withAmsgrad(true));
      case "rmsprop" -> new RmsProp(p, RmsProp.Options.defaults());
      case "rmsprop_centered_momentum" -> new RmsProp(p, new RmsProp.Options(0.01, 0.9, 1e-8, 0.01, 0.9, true));
      case "adagrad" -> new AdaGrad(p, new AdaGrad.Options(0.1, 0, 0, 0, 1e-10));
      case "adagrad_decays" -> new AdaGrad(p, new AdaGrad.Options(0.1, 0.01, 0.01, 0.1, 1e-10));
      default -> throw new IllegalArgumentException(name);
    };
  }

  static Linear model(Map<String, Tensor> f) {
    Linear layer = new Linear(4, 3, true, new Rng(0));
    layer.loadStateDict(Map.of("weight", f.get("data.weight"), "bias", f.get("data.bias")));
    return layer;
  }

  static void train(Linear layer, Optimizer opt, Map<String, Tensor> f, int steps) {
    MeanSquaredError mse = new MeanSquaredError();
    for (int step = 0; step < steps; step++) {
      opt.zeroGrad();
      mse.forward(layer.forward(f.get("data.x")), f.get("data.y"));
      layer.backward(mse.backward());
      opt.step();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sgd", "sgd_momentum_decay", "sgd_nesterov", "adam", "adam_amsgrad_decay", "adamw",
      "adamw_amsgrad_decay", "rmsprop", "rmsprop_centered_momentum", "adagrad", "adagrad_decays"})
  void followsTorchOptimForTwentySteps(String name) {
    Map<String, Tensor> f = Fixtures.load("optimizers.safetensors");
    Linear layer = model(f);
    Optimizer opt = make(name, layer.parameters());
    Tensor weights = Fixtures.get(f, name, "weights");
    Tensor biases = Fixtures.get(f, name, "biases");
    for (int step = 0; step < 20; step++) {
      train(layer, opt, f, 1);
      assertClose(name + " weight after step " + (step + 1), layer.weight().value().data(),
          Arrays.copyOfRange(weights.data(), step * 12, (step + 1) * 12), 2e-6, 1e-5);
      assertClose(name + " bias after step " + (step + 1), layer.bias().value().data(),
          Arrays.copyOfRange(biases.data(), step * 3, (step + 1) * 3), 2e-6, 1e-5);
    }
    assertThat(opt.steps()).isEqualTo(20);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sgd_momentum_decay", "adam_amsgrad_decay", "adamw", "rmsprop_centered_momentum",
      "adagrad_decays"})
  void savedStateResumesBitIdentically(String name) {
    Map<String, Tensor> f = Fixtures.load("optimizers.safetensors");
    Linear straight = model(f);
    train(straight, make(name, straight.parameters()), f, 10);

    Linear first = model(f);
    Optimizer opt = make(name, first.parameters());
    train(first, opt, f, 5);
    Map<String, Tensor> weights = first.stateDict();
    Map<String, Tensor> state = opt.stateDict();
    Linear resumed = model(f);
    resumed.loadStateDict(weights);
    Optimizer fresh = make(name, resumed.parameters());
    fresh.loadStateDict(state);
    assertThat(fresh.steps()).isEqualTo(5);
    train(resumed, fresh, f, 5);
    assertThat(resumed.stateDict()).isEqualTo(straight.stateDict());
  }

  @Test
  void loadingAnotherOptimizersStateFailsAndChangesNothing() {
    Map<String, Tensor> f = Fixtures.load("optimizers.safetensors");
    Linear layer = model(f);
    Adam adam = new Adam(layer.parameters(), 0.01);
    train(layer, adam, f, 2);
    Map<String, Tensor> before = adam.stateDict();
    Map<String, Tensor> sgdState = new Sgd(layer.parameters(), new Sgd.Options(0.1, 0.9, 0, 0, false)).stateDict();
    assertThatThrownBy(() -> adam.loadStateDict(sgdState))
        .isInstanceOf(StateDictException.class)
        .hasMessageContaining("missing keys [exp_avg.0, exp_avg.1, exp_avg_sq.0, exp_avg_sq.1]")
        .hasMessageContaining("unexpected keys [momentum_buffer.0, momentum_buffer.1]");
    assertThat(adam.stateDict()).isEqualTo(before);
  }

  @Test
  void optionsAreValidated() {
    Function<Sgd.Options, Object> noop = o -> o;
    assertThatThrownBy(() -> noop.apply(new Sgd.Options(0.1, 0, 0.1, 0, true)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Sgd.Options: Nesterov momentum needs momentum > 0 and zero dampening, got momentum=0.0,"
            + " dampening=0.1");
    assertThatThrownBy(() -> new RmsProp.Options(0.01, 1.5, 1e-8, 0, 0, false))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("RmsProp.Options: alpha must be in [0, 1], got 1.5");
  }
}
