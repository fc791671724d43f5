package io.github.recurrent4j.nn;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecurrentCellTest {
  static final double ATOL = 2e-5;
  static final double RTOL = 1e-4;

  static Tensor slice(Tensor steps, int t) {
    int per = steps.size() / steps.dim(0);
    int[] shape = Arrays.copyOfRange(steps.shape(), 1, steps.rank());
    return Tensor.of(Arrays.copyOfRange(steps.data(), t * per, (t + 1) * per), shape);
  }

  @ParameterizedTest
  @ValueSource(strings = {"rnn_cell", "lstm_cell", "gru_cell", "lstm_cell_nobias", "gru_cell_nobias"})
  void cellsDrivenStepByStepMatchPyTorchIncludingGradientsThroughTime(String name) {
    Map<String, Tensor> f = Fixtures.load("cells.safetensors");
    Tensor weightIh = Fixtures.get(f, name, "weight_ih");
    int hidden = Fixtures.get(f, name, "weight_hh").dim(1);
    int input = weightIh.dim(1);
    RecurrentCell cell = switch (name) {
      case "lstm_cell", "lstm_cell_nobias" -> new LstmCell(input, hidden, new Rng(0));
      case "gru_cell", "gru_cell_nobias" -> new GruCell(input, hidden, new Rng(0));
      default -> new SimpleRnnCell(input, hidden, SimpleRnn.Nonlinearity.TANH, new Rng(0));
    };
    if (name.endsWith("nobias")) { // PyTorch's bias=False: the file has no biases, nor has the cell
      assertThat(f).doesNotContainKeys(name + ".bias_ih", name + ".bias_hh");
      assertThat(cell.withoutBias().hasBias()).isFalse();
    }
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (Parameter p : cell.parameters()) {
      weights.put(p.name(), Fixtures.get(f, name, p.name()));
    }
    assertThat(weights).hasSize(name.endsWith("nobias") ? 2 : 4);
    cell.loadStateDict(weights);
    boolean lstm = cell instanceof LstmCell;
    Tensor x = Fixtures.get(f, name, "input"); // (T, B, I)
    int steps = x.dim(0);
    RnnState state = new RnnState(Fixtures.get(f, name, "h0"), lstm ? Fixtures.get(f, name, "c0") : null);
    for (int t = 0; t < steps; t++) {
      state = cell.forward(slice(x, t), state);
      assertClose(name + " h step " + t, state.h(), slice(Fixtures.get(f, name, "h"), t), ATOL, RTOL);
      if (lstm) {
        assertClose(name + " c step " + t, state.c(), slice(Fixtures.get(f, name, "c"), t), ATOL, RTOL);
      }
    }
    // Backward in reverse order; each step's returned state gradient joins the previous step's.
    Tensor carryH = null;
    Tensor carryC = null;
    for (int t = steps - 1; t >= 0; t--) {
      Tensor dh = slice(Fixtures.get(f, name, "grad_h"), t);
      Tensor dc = lstm ? slice(Fixtures.get(f, name, "grad_c"), t) : null;
      if (carryH != null) {
        add(dh, carryH);
        if (lstm) {
          add(dc, carryC);
        }
      }
      RecurrentCell.Gradients g = cell.backward(new RnnState(dh, dc));
      assertClose(name + " grad_input step " + t, g.input(), slice(Fixtures.get(f, name, "grad_input"), t), ATOL, RTOL);
      carryH = g.state().h();
      carryC = g.state().c();
    }
    assertClose(name + " grad_h0", carryH, Fixtures.get(f, name, "grad_h0"), ATOL, RTOL);
    if (lstm) {
      assertClose(name + " grad_c0", carryC, Fixtures.get(f, name, "grad_c0"), ATOL, RTOL);
    }
    for (Parameter p : cell.parameters()) {
      assertClose(name + " grad_" + p.name(), p.grad(), Fixtures.get(f, name, "grad_" + p.name()), ATOL, RTOL);
    }
    assertThat(cell.rememberedSteps()).isZero();
  }

  static void add(Tensor into, Tensor g) {
    for (int i = 0; i < into.size(); i++) {
      into.data()[i] += g.data()[i];
    }
  }

  /** Three steps of a cell as one function of the inputs, the initial state and the weights. */
  @ParameterizedTest
  @ValueSource(strings = {"rnn_cell", "lstm_cell", "gru_cell", "lstm_cell_nobias", "gru_cell_nobias"})
  void gradientChecksThroughSeveralSteps(String name) {
    Rng rng = new Rng(50);
    RecurrentCell cell = switch (name) {
      case "lstm_cell", "lstm_cell_nobias" -> new LstmCell(3, 4, rng);
      case "gru_cell", "gru_cell_nobias" -> new GruCell(3, 4, rng);
      default -> new SimpleRnnCell(3, 4, SimpleRnn.Nonlinearity.TANH, rng);
    };
    boolean lstm = cell instanceof LstmCell;
    int steps = 3;
    Parameter xs = new Parameter("x", io.github.recurrent4j.tensor.Init.normal(Tensor.zeros(steps, 2, 3), 0, 1, rng));
    Parameter h0 = new Parameter("h0", io.github.recurrent4j.tensor.Init.normal(Tensor.zeros(2, 4), 0, 0.5, rng));
    Parameter c0 = new Parameter("c0", io.github.recurrent4j.tensor.Init.normal(Tensor.zeros(2, 4), 0, 0.5, rng));
    java.util.List<Parameter> variables = new java.util.ArrayList<>(java.util.List.of(xs, h0));
    if (lstm) {
      variables.add(c0);
    }
    variables.addAll(cell.parameters());
    io.github.recurrent4j.check.GradientCheck.check(new io.github.recurrent4j.check.GradientCheck.Function() {
      @Override
      public java.util.List<Parameter> variables() {
        return variables;
      }

      @Override
      public Tensor forward() {
        cell.clearSteps();
        RnnState state = new RnnState(h0.value(), lstm ? c0.value() : null);
        float[] out = new float[steps * 8 * (lstm ? 2 : 1)];
        for (int t = 0; t < steps; t++) {
          state = cell.forward(slice(xs.value(), t), state);
          System.arraycopy(state.h().data(), 0, out, t * 8, 8);
          if (lstm) {
            System.arraycopy(state.c().data(), 0, out, (steps + t) * 8, 8);
          }
        }
        return Tensor.of(out, out.length);
      }

      @Override
      public void backward(Tensor g) {
        Tensor carryH = Tensor.zeros(2, 4);
        Tensor carryC = Tensor.zeros(2, 4);
        for (int t = steps - 1; t >= 0; t--) {
          Tensor dh = Tensor.of(Arrays.copyOfRange(g.data(), t * 8, t * 8 + 8), 2, 4);
          add(dh, carryH);
          Tensor dc = null;
          if (lstm) {
            dc = Tensor.of(Arrays.copyOfRange(g.data(), (steps + t) * 8, (steps + t) * 8 + 8), 2, 4);
            add(dc, carryC);
          }
          RecurrentCell.Gradients step = cell.backward(new RnnState(dh, dc));
          for (int i = 0; i < 6; i++) {
            xs.grad().data()[t * 6 + i] += step.input().data()[i];
          }
          carryH = step.state().h();
          carryC = lstm ? step.state().c() : carryC;
        }
        add(h0.grad(), carryH);
        if (lstm) {
          add(c0.grad(), carryC);
        }
      }
    }, io.github.recurrent4j.check.GradientCheck.Options.defaults()).requirePassed();
  }

  @Test
  void misuseIsReported() {
    LstmCell cell = new LstmCell(3, 4, new Rng(1));
    assertThat(cell.stateDict().keySet()).containsExactly("weight_ih", "weight_hh", "bias_ih", "bias_hh");
    assertThatThrownBy(() -> cell.backward(RnnState.of(Tensor.zeros(2, 4))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("LstmCell(input=3, hidden=4): backward called with no remembered forward step");
    assertThatThrownBy(() -> cell.forward(Tensor.zeros(2, 5), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("LstmCell(input=3, hidden=4): expected input [batch, 3], got [2, 5]");
    assertThatThrownBy(() -> cell.forward(Tensor.zeros(2, 3), RnnState.of(Tensor.zeros(1, 2, 4))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("LstmCell(input=3, hidden=4): expected state h of shape [2, 4], got [1, 2, 4]");
    RnnState s = cell.forward(Tensor.zeros(2, 3), null);
    assertThat(s.h().shape()).containsExactly(2, 4);
    assertThat(cell.infer(Tensor.zeros(2, 3), null).h().data()).containsExactly(s.h().data());
    assertThat(cell.rememberedSteps()).isEqualTo(1);
    cell.clearSteps();
    assertThat(cell.rememberedSteps()).isZero();
  }
}
