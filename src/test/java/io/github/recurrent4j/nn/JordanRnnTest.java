package io.github.recurrent4j.nn;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class JordanRnnTest {
  static final double ATOL = 2e-5;
  static final double RTOL = 1e-4;

  @ParameterizedTest
  @ValueSource(strings = {"jordan_tanh", "jordan_softmax", "jordan_sigmoid", "jordan_identity"})
  void matchesTheTorchAutogradReference(String name) {
    Map<String, Tensor> f = Fixtures.load("jordan.safetensors");
    Tensor weightIh = Fixtures.get(f, name, "weight_ih_l0");
    Tensor weightHy = Fixtures.get(f, name, "weight_hy_l0");
    JordanRnn.OutputActivation act = JordanRnn.OutputActivation.valueOf(name.substring(7).toUpperCase());
    JordanRnn layer = new JordanRnn(weightIh.dim(1), weightIh.dim(0), weightHy.dim(0), act, new Rng(0));
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (Parameter p : layer.parameters()) {
      weights.put(p.name(), Fixtures.get(f, name, p.name()));
    }
    layer.loadStateDict(weights);
    int[] lengths = f.containsKey(name + ".lengths") ? Fixtures.ids(f.get(name + ".lengths")) : null;
    Tensor y = layer.forward(Fixtures.get(f, name, "input"), lengths, RnnState.of(Fixtures.get(f, name, "y0")));
    assertClose(name + " output", y, Fixtures.get(f, name, "output"), ATOL, RTOL);
    assertClose(name + " y_n", layer.finalState().h(), Fixtures.get(f, name, "y_n"), ATOL, RTOL);
    Tensor dx = layer.backward(Fixtures.get(f, name, "grad_output"), RnnState.of(Fixtures.get(f, name, "grad_y_n")));
    assertClose(name + " grad_input", dx, Fixtures.get(f, name, "grad_input"), ATOL, RTOL);
    assertClose(name + " grad_y0", layer.initialStateGrad().h(), Fixtures.get(f, name, "grad_y0"), ATOL, RTOL);
    for (Parameter p : layer.parameters()) {
      assertClose(name + " grad_" + p.name(), p.grad(), Fixtures.get(f, name, "grad_" + p.name()), ATOL, RTOL);
    }
  }

  @ParameterizedTest
  @EnumSource(JordanRnn.OutputActivation.class)
  void gradientCheckWithLengthsAndInitialContext(JordanRnn.OutputActivation act) {
    Rng rng = new Rng(31);
    JordanRnn layer = new JordanRnn(3, 5, 4, act, rng);
    Tensor x = Init.normal(Tensor.zeros(3, 4, 3), 0, 1, rng);
    int[] lengths = {4, 0, 2};
    Parameter input = new Parameter("input", x);
    Parameter y0 = new Parameter("y0", Init.normal(Tensor.zeros(1, 3, 4), 0, 0.5, rng));
    List<Parameter> variables = new ArrayList<>(List.of(input, y0));
    variables.addAll(layer.parameters());
    GradientCheck.check(new GradientCheck.Function() {
      @Override
      public List<Parameter> variables() {
        return variables;
      }

      @Override
      public Tensor forward() {
        Tensor y = layer.forward(x, lengths, RnnState.of(y0.value()));
        float[] all = new float[y.size() + 12];
        System.arraycopy(y.data(), 0, all, 0, y.size());
        System.arraycopy(layer.finalState().h().data(), 0, all, y.size(), 12);
        return Tensor.of(all, all.length);
      }

      @Override
      public void backward(Tensor g) {
        int n = 3 * 4 * 4;
        Tensor dy = Tensor.of(java.util.Arrays.copyOfRange(g.data(), 0, n), 3, 4, 4);
        Tensor dyn = Tensor.of(java.util.Arrays.copyOfRange(g.data(), n, n + 12), 1, 3, 4);
        Tensor dx = layer.backward(dy, RnnState.of(dyn));
        RecurrentGradientTest.add(input.grad(), dx);
        RecurrentGradientTest.add(y0.grad(), layer.initialStateGrad().h());
      }
    }, GradientCheck.Options.defaults()).requirePassed();
  }

  @Test
  void theContextIsThePreviousOutputAndPaddedStepsAreZero() {
    Rng rng = new Rng(2);
    JordanRnn layer = new JordanRnn(2, 3, 2, JordanRnn.OutputActivation.SOFTMAX, rng);
    Tensor x = Init.normal(Tensor.zeros(2, 3, 2), 0, 1, rng);
    Tensor y = layer.forward(x, new int[] {3, 1}, null);
    assertThat(y.get(0, 0, 0) + y.get(0, 0, 1)).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(y.get(1, 1, 0)).isZero();
    assertThat(y.get(1, 2, 1)).isZero();
    assertThat(layer.finalState().h().get(0, 1, 0)).isEqualTo(y.get(1, 0, 0));
    assertThat(layer.finalState().h().get(0, 0, 1)).isEqualTo(y.get(0, 2, 1));
  }

  @Test
  void misuseIsReported() {
    JordanRnn layer = new JordanRnn(2, 3, 4, JordanRnn.OutputActivation.TANH, new Rng(1));
    assertThat(layer.stateDict().keySet()).containsExactly("weight_ih_l0", "bias_ih_l0", "weight_yh_l0", "bias_yh_l0",
        "weight_hy_l0", "bias_hy_l0");
    assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 5, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("JordanRnn(input=2, hidden=3, output=4, tanh): expected input [batch, time, 2], got [2, 5, 3]");
    assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 5, 2), null, RnnState.of(Tensor.zeros(1, 2, 3))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("JordanRnn(input=2, hidden=3, output=4, tanh): expected initial state (the previous output y) of"
            + " shape [1, 2, 4], got [1, 2, 3]");
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 5, 4)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("JordanRnn(input=2, hidden=3, output=4, tanh): backward called before forward");
    assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 5, 2), new int[] {1, 9}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("JordanRnn(input=2, hidden=3, output=4, tanh): lengths[1] = 9 is out of range [0, 5]");
  }
}
