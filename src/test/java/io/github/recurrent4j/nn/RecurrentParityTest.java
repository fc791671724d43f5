package io.github.recurrent4j.nn;

import static io.github.recurrent4j.testing.Assertions2.assertClose;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** nn.RNN, nn.LSTM and nn.GRU from tools/make_fixtures.py: outputs, final states and every gradient. */
class RecurrentParityTest {
  static final double ATOL = 2e-5;
  static final double RTOL = 1e-4;

  static RecurrentLayer layerFor(String name, Tensor weightIh) {
    int hidden = weightIh.dim(0);
    int input = weightIh.dim(1);
    Rng rng = new Rng(0);
    if (name.startsWith("lstm")) {
      return new Lstm(input, hidden / 4, rng);
    }
    if (name.startsWith("gru")) {
      return new Gru(input, hidden / 3, rng);
    }
    return new SimpleRnn(input, hidden, name.contains("relu") ? SimpleRnn.Nonlinearity.RELU
        : SimpleRnn.Nonlinearity.TANH, rng);
  }

  @ParameterizedTest
  @ValueSource(strings = {"rnn_tanh", "rnn_relu", "lstm", "lstm_lengths", "lstm_wide", "gru", "gru_lengths"})
  void matchesPyTorch(String name) {
    Map<String, Tensor> f = Fixtures.load("recurrent.safetensors");
    RecurrentLayer layer = layerFor(name, Fixtures.get(f, name, "weight_ih_l0"));
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (String p : new String[] {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}) {
      weights.put(p, Fixtures.get(f, name, p));
    }
    layer.loadStateDict(weights);
    assertMatchesFixture(f, name, layer, layer instanceof Lstm);
  }

  /**
   * Loads the fixture's input, lengths and initial state into {@code layer} (weights already
   * loaded) and checks the output, the final state and every gradient against PyTorch's.
   */
  static void assertMatchesFixture(Map<String, Tensor> f, String name, StatefulSequenceLayer layer, boolean lstm) {
    int[] lengths = f.containsKey(name + ".lengths") ? Fixtures.ids(f.get(name + ".lengths")) : null;
    RnnState initial = new RnnState(Fixtures.get(f, name, "h0"), lstm ? Fixtures.get(f, name, "c0") : null);
    Tensor y = layer.forward(Fixtures.get(f, name, "input"), lengths, initial);
    assertClose(name + " output", y, Fixtures.get(f, name, "output"), ATOL, RTOL);
    assertClose(name + " h_n", layer.finalState().h(), Fixtures.get(f, name, "h_n"), ATOL, RTOL);
    if (lstm) {
      assertClose(name + " c_n", layer.finalState().c(), Fixtures.get(f, name, "c_n"), ATOL, RTOL);
    }
    RnnState gradFinal = new RnnState(Fixtures.get(f, name, "grad_h_n"), lstm ? Fixtures.get(f, name, "grad_c_n") : null);
    Tensor dx = layer.backward(Fixtures.get(f, name, "grad_output"), gradFinal);
    assertClose(name + " grad_input", dx, Fixtures.get(f, name, "grad_input"), ATOL, RTOL);
    assertClose(name + " grad_h0", layer.initialStateGrad().h(), Fixtures.get(f, name, "grad_h0"), ATOL, RTOL);
    if (lstm) {
      assertClose(name + " grad_c0", layer.initialStateGrad().c(), Fixtures.get(f, name, "grad_c0"), ATOL, RTOL);
    }
    for (Parameter p : layer.parameters()) {
      assertClose(name + " grad_" + p.name(), p.grad(), Fixtures.get(f, name, "grad_" + p.name()), ATOL, RTOL);
    }
  }
}
