package io.github.recurrent4j.nn;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RecurrentStreamTest {
  static List<Function<Rng, RecurrentLayer>> layers() {
    return List.of(rng -> new SimpleRnn(5, 24, SimpleRnn.Nonlinearity.TANH, rng), rng -> new Lstm(5, 24, rng),
        rng -> new Gru(5, 24, rng), rng -> new Lstm(3, 10, rng));
  }

  @ParameterizedTest
  @MethodSource("layers")
  void streamingOneStepAtATimeGivesTheWholeSequenceForwardsOutputs(Function<Rng, RecurrentLayer> make) {
    Rng rng = new Rng(6);
    RecurrentLayer layer = make.apply(rng);
    int steps = 7;
    Tensor x = Init.normal(Tensor.zeros(1, steps, layer.inputSize()), 0, 1, rng);
    Tensor h0 = Init.normal(Tensor.zeros(1, 1, layer.hiddenSize()), 0, 1, rng);
    Tensor c0 = layer instanceof Lstm ? Init.normal(Tensor.zeros(1, 1, layer.hiddenSize()), 0, 1, rng) : null;
    RecurrentLayer.Result whole = layer.infer(x, null, new RnnState(h0, c0));
    RecurrentStream stream = layer.newStream();
    for (int round = 0; round < 2; round++) { // the second round checks reset
      stream.reset(new RnnState(h0, c0));
      float[] streamed = new float[steps * layer.hiddenSize()];
      for (int t = 0; t < steps; t++) {
        float[] xt = Arrays.copyOfRange(x.data(), t * layer.inputSize(), (t + 1) * layer.inputSize());
        System.arraycopy(stream.step(xt), 0, streamed, t * layer.hiddenSize(), layer.hiddenSize());
      }
      // The whole-sequence path projects all steps in one GEMM: same sums, other rounding order.
      assertClose(layer + " round " + round, streamed, whole.output().data(), 1e-6, 1e-5);
      assertClose(layer + " final h", stream.state().h().data(), whole.finalState().h().data(), 1e-6, 1e-5);
    }
  }

  @ParameterizedTest
  @MethodSource("layers")
  void aStepAllocatesNothing(Function<Rng, RecurrentLayer> make) {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    Rng rng = new Rng(7);
    RecurrentLayer layer = make.apply(rng);
    RecurrentStream stream = layer.newStream();
    float[] x = new float[layer.inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    // Until C2 has compiled the kernels, the Vector API runs its allocating fallbacks (C1 code does
    // not intrinsify it). So: step in rounds until a whole round allocates nothing, within a bound.
    long id = Thread.currentThread().getId();
    int steps = 5_000;
    long allocated = -1;
    for (int round = 0; round < 200 && allocated != 0; round++) {
      long before = threads.getThreadAllocatedBytes(id);
      for (int i = 0; i < steps; i++) {
        stream.step(x);
      }
      allocated = threads.getThreadAllocatedBytes(id) - before;
    }
    assertThat(allocated).as("bytes allocated by %d warm steps", steps).isZero();
  }

  @ParameterizedTest
  @MethodSource("layers")
  void badInputIsReported(Function<Rng, RecurrentLayer> make) {
    RecurrentLayer layer = make.apply(new Rng(1));
    RecurrentStream stream = layer.newStream();
    assertThatThrownBy(() -> stream.step(new float[layer.inputSize() + 1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(layer + ": a stream step takes " + layer.inputSize() + " inputs, got " + (layer.inputSize() + 1));
    assertThatThrownBy(() -> stream.reset(RnnState.of(Tensor.zeros(1, 2, layer.hiddenSize()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(layer + ": expected stream state h of shape [1, 1, " + layer.hiddenSize() + "], got [1, 2, "
            + layer.hiddenSize() + "]");
  }
}
