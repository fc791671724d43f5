package io.github.recurrent4j.nn;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class BidirectionalTest {
  static final double ATOL = 2e-5;
  static final double RTOL = 1e-4;

  @ParameterizedTest
  @ValueSource(strings = {"lstm_bidir", "gru_bidir", "rnn_bidir"})
  void matchesPyTorchBidirectionalWithPackedUnsortedLengths(String name) {
    Map<String, Tensor> f = Fixtures.load("recurrent.safetensors");
    RecurrentLayer forward = RecurrentParityTest.layerFor(name, Fixtures.get(f, name, "weight_ih_l0"));
    Bidirectional layer = new Bidirectional(forward, Bidirectional.Merge.CONCAT, new Rng(1));
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (Parameter p : layer.parameters()) {
      weights.put(p.name(), Fixtures.get(f, name, p.name()));
    }
    assertThat(weights.keySet()).contains("weight_ih_l0_reverse", "bias_hh_l0_reverse");
    layer.loadStateDict(weights);
    RecurrentParityTest.assertMatchesFixture(f, name, layer, forward instanceof Lstm);
  }

  @ParameterizedTest
  @EnumSource(Bidirectional.Merge.class)
  void gradientCheckForEveryMergeModeWithLengths(Bidirectional.Merge merge) {
    Rng rng = new Rng(21);
    Bidirectional layer = new Bidirectional(new Lstm(3, 4, rng), merge, rng);
    Tensor x = Init.normal(Tensor.zeros(3, 4, 3), 0, 1, rng);
    int[] lengths = {4, 0, 2};
    // inference merges the reverse direction's output without reversing a copy first: the same bits
    assertThat(layer.infer(x, lengths, null).output().data()).containsExactly(layer.forward(x, lengths).data());
    GradientCheck.check(SequentialTest.withLengths(layer, x, lengths), GradientCheck.Options.defaults())
        .requirePassed();
  }

  /** The directions run as two tasks on two threads; the numbers must be those of one thread. */
  @Test
  void twoThreadsGiveTheBitsOfOne() {
    float[][][] runs = new float[2][][];
    int before = io.github.recurrent4j.kernel.Parallel.threads();
    try {
      for (int threads = 1; threads <= 2; threads++) {
        io.github.recurrent4j.kernel.Parallel.setThreads(threads);
        Rng rng = new Rng(12);
        Bidirectional bi = new Bidirectional(new Lstm(16, 64, rng), Bidirectional.Merge.CONCAT, rng);
        Tensor x = Init.normal(Tensor.zeros(32, 40, 16), 0, 1, rng);
        int[] lengths = new int[32];
        for (int i = 0; i < 32; i++) {
          lengths[i] = 1 + rng.nextInt(40);
        }
        Tensor y = bi.forward(x, lengths, null);
        Tensor dx = bi.backward(Init.normal(Tensor.zeros(32, 40, 128), 0, 1, rng), null);
        Tensor inferred = bi.infer(x, lengths, null).output();
        runs[threads - 1] = new float[][] {y.data(), dx.data(), bi.parameters().get(1).grad().data(),
            bi.parameters().get(5).grad().data(), inferred.data(), bi.finalState().h().data()};
      }
    } finally {
      io.github.recurrent4j.kernel.Parallel.setThreads(before);
    }
    for (int i = 0; i < runs[0].length; i++) {
      assertThat(java.util.Arrays.equals(runs[1][i], runs[0][i])).as("array %d", i).isTrue();
    }
  }

  @Test
  void theReverseDirectionStartsAtEachRowsLastValidStep() {
    // A row padded with garbage must give the same outputs on its valid steps as the same row unpadded.
    Rng rng = new Rng(5);
    Bidirectional layer = new Bidirectional(new Gru(2, 3, rng), Bidirectional.Merge.CONCAT, rng);
    Tensor full = Init.normal(Tensor.zeros(1, 3, 2), 0, 1, rng);
    Tensor padded = Tensor.zeros(1, 5, 2);
    System.arraycopy(full.data(), 0, padded.data(), 0, 6);
    for (int i = 6; i < 10; i++) {
      padded.data()[i] = 100f;
    }
    float[] a = layer.forward(full, new int[] {3}).data().clone();
    Tensor y = layer.forward(padded, new int[] {3});
    float[] b = java.util.Arrays.copyOfRange(y.data(), 0, a.length);
    assertThat(b).containsExactly(a);
    assertThat(java.util.Arrays.copyOfRange(y.data(), a.length, y.size())).containsOnly(0f);
  }

  @Test
  void misuseIsReported() {
    Bidirectional layer = new Bidirectional(new Lstm(2, 3, new Rng(1)), Bidirectional.Merge.SUM, new Rng(2));
    assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 4, 2), null, RnnState.of(Tensor.zeros(1, 2, 3))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Bidirectional(Lstm(input=2, hidden=3), sum): expected initial state h of shape [2, batch, 3],"
            + " got [1, 2, 3]");
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 4, 3)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Bidirectional(Lstm(input=2, hidden=3), sum): backward called before forward");
    layer.forward(Tensor.zeros(2, 4, 2));
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 4, 6)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Bidirectional(Lstm(input=2, hidden=3), sum): expected gradOutput of shape [2, 4, 3], got [2, 4, 6]");
  }

  @Test
  void wrapsAJordanNetworkToo() {
    Rng rng = new Rng(23);
    Bidirectional layer = new Bidirectional(new JordanRnn(3, 4, 2, JordanRnn.OutputActivation.TANH, rng),
        Bidirectional.Merge.CONCAT, rng);
    assertThat(layer.stateDict()).containsKeys("weight_yh_l0", "weight_yh_l0_reverse");
    Tensor x = Init.normal(Tensor.zeros(3, 4, 3), 0, 1, rng);
    int[] lengths = {4, 0, 2};
    Tensor y = layer.forward(x, lengths);
    assertThat(y.shape()).containsExactly(3, 4, 4);
    assertThat(layer.infer(x, lengths, null).output().data()).containsExactly(y.data());
    GradientCheck.check(SequentialTest.withLengths(layer, x, lengths), GradientCheck.Options.defaults())
        .requirePassed();
    assertThatThrownBy(() -> new Bidirectional(new Sequential(new Linear(2, 2, true, rng))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Bidirectional: needs a recurrent layer (SimpleRnn, JordanRnn, Lstm, Gru), got"
            + " Sequential[Linear(in=2, out=2)]");
  }
}
