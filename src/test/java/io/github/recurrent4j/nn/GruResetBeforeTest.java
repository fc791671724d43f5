package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The GRU of Cho et al. 2014 (Keras reset_after=False): the reset gate before the product. */
class GruResetBeforeTest {
  @Test
  void matchesTheTorchAutogradReferenceWithLengths() {
    Map<String, Tensor> f = Fixtures.load("gru_reset_before.safetensors");
    String name = "gru_reset_before";
    Tensor weightIh = Fixtures.get(f, name, "weight_ih_l0");
    Gru gru = new Gru(weightIh.dim(1), weightIh.dim(0) / 3, true, new Rng(0));
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (Parameter p : gru.parameters()) {
      weights.put(p.name(), Fixtures.get(f, name, p.name()));
    }
    gru.loadStateDict(weights);
    RecurrentParityTest.assertMatchesFixture(f, name, gru, false);
  }

  @Test
  void gradientChecksPassWithAndWithoutLengths() {
    RecurrentGradientTest.check(rng -> new Gru(3, 5, true, rng), false);
  }

  @Test
  void itIsADifferentFunctionFromPyTorchsResetAfter() {
    Rng rng = new Rng(3);
    Gru after = new Gru(3, 4, false, rng);
    Gru before = new Gru(3, 4, true, new Rng(0));
    before.loadStateDict(after.stateDict());
    Tensor x = Init.normal(Tensor.zeros(2, 5, 3), 0, 1, rng);
    Tensor h0 = Init.normal(Tensor.zeros(1, 2, 4), 0, 1, rng);
    float[] a = after.forward(x, null, RnnState.of(h0)).data();
    float[] b = before.forward(x, null, RnnState.of(h0)).data();
    assertThat(b).isNotEqualTo(a);
    // and the streaming path computes the same thing as the sequence path
    RecurrentStream stream = before.newStream();
    stream.reset(RnnState.of(Tensor.of(java.util.Arrays.copyOfRange(h0.data(), 0, 4), 1, 1, 4)));
    float[] last = null;
    for (int t = 0; t < 5; t++) {
      last = stream.step(java.util.Arrays.copyOfRange(x.data(), t * 3, t * 3 + 3)).clone();
    }
    io.github.recurrent4j.testing.Assertions2.assertClose("stream", last,
        java.util.Arrays.copyOfRange(b, 4 * 4, 5 * 4), 1e-6, 1e-5);
  }
}
