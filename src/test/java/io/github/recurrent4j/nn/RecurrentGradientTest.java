package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of every recurrent layer: input, initial state and parameters, with lengths. */
class RecurrentGradientTest {
  /**
   * The layer as a function of (input, h0, c0, parameters) whose output is the sequence output
   * followed by the final state, so the check covers the state gradients in both directions.
   */
  static GradientCheck.Function asFunction(RecurrentLayer layer, Tensor x, int[] lengths, boolean cell, Rng rng) {
    int b = x.dim(0);
    int h = layer.outputSize(); // the width of h (a projection's size)
    int c = layer.hiddenSize(); // the width of the cell state
    Parameter input = new Parameter("input", x);
    Parameter h0 = new Parameter("h0", Init.normal(Tensor.zeros(1, b, h), 0, 0.5, rng));
    Parameter c0 = cell ? new Parameter("c0", Init.normal(Tensor.zeros(1, b, c), 0, 0.5, rng)) : null;
    List<Parameter> variables = new ArrayList<>(List.of(input, h0));
    if (cell) {
      variables.add(c0);
    }
    variables.addAll(layer.parameters());
    return new GradientCheck.Function() {
      @Override
      public List<Parameter> variables() {
        return variables;
      }

      @Override
      public Tensor forward() {
        Tensor y = layer.forward(x, lengths, new RnnState(h0.value(), cell ? c0.value() : null));
        RnnState fin = layer.finalState();
        int n = y.size() + fin.h().size() + (cell ? fin.c().size() : 0);
        float[] all = new float[n];
        System.arraycopy(y.data(), 0, all, 0, y.size());
        System.arraycopy(fin.h().data(), 0, all, y.size(), fin.h().size());
        if (cell) {
          System.arraycopy(fin.c().data(), 0, all, y.size() + fin.h().size(), fin.c().size());
        }
        return Tensor.of(all, n);
      }

      @Override
      public void backward(Tensor g) {
        int ySize = x.dim(0) * x.dim(1) * h;
        float[] all = g.data();
        Tensor dy = Tensor.of(java.util.Arrays.copyOfRange(all, 0, ySize), x.dim(0), x.dim(1), h);
        Tensor dhn = Tensor.of(java.util.Arrays.copyOfRange(all, ySize, ySize + b * h), 1, b, h);
        Tensor dcn = cell ? Tensor.of(java.util.Arrays.copyOfRange(all, ySize + b * h, ySize + b * h + b * c), 1, b, c)
            : null;
        Tensor dx = layer.backward(dy, new RnnState(dhn, dcn));
        add(input.grad(), dx);
        add(h0.grad(), layer.initialStateGrad().h());
        if (cell) {
          add(c0.grad(), layer.initialStateGrad().c());
        }
      }
    };
  }

  static void add(Tensor into, Tensor g) {
    for (int i = 0; i < into.size(); i++) {
      into.data()[i] += g.data()[i];
    }
  }

  static void check(Function<Rng, RecurrentLayer> make, boolean cell) {
    check(make, cell, GradientCheck.Options.defaults());
  }

  static void check(Function<Rng, RecurrentLayer> make, boolean cell, GradientCheck.Options options) {
    Rng rng = new Rng(17);
    int[][] lengthCases = {null, {4, 1, 0}, {2, 4, 3}};
    for (int[] lengths : lengthCases) {
      RecurrentLayer layer = make.apply(rng);
      Tensor x = Init.normal(Tensor.zeros(3, 4, layer.inputSize()), 0, 1, rng);
      GradientCheck.Result result = GradientCheck.check(asFunction(layer, x, lengths, cell, rng), options)
          .requirePassed();
      // Skipping is for the odd step across a kink, never for most of the check.
      assertThat(result.kinksSkipped()).as(result.toString()).isLessThan(result.elementsChecked() / 4);
    }
  }

  @Test
  void simpleRnnTanh() {
    check(rng -> new SimpleRnn(3, 5, SimpleRnn.Nonlinearity.TANH, rng), false);
  }

  @Test
  void simpleRnnRelu() {
    // Piecewise linear: away from a kink both one-sided slopes agree to float noise, so a tight kink
    // tolerance skips exactly the steps that cross one.
    GradientCheck.Options d = GradientCheck.Options.defaults();
    GradientCheck.Options options = new GradientCheck.Options(d.epsilon(), d.tolerance(), d.floor(),
        d.maxElementsPerTensor(), 16, d.seed(), 0.005);
    check(rng -> new SimpleRnn(3, 5, SimpleRnn.Nonlinearity.RELU, rng), false, options);
  }

  @Test
  void lstm() {
    check(rng -> new Lstm(3, 5, rng), true);
  }

  @Test
  void gru() {
    check(rng -> new Gru(3, 5, rng), false);
  }
}
