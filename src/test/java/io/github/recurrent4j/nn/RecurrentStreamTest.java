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
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
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

  /**
   * Warms a stream up and prints the bytes its steps then allocate, for each layer of
   * {@link #layers()}; run in a fresh JVM by {@link #aStepAllocatesNothing()}.
   */
  public static final class AllocationProbe {
    public static void main(String[] args) {
      com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long id = Thread.currentThread().getId();
      List<Function<Rng, RecurrentLayer>> all = new java.util.ArrayList<>(layers());
      all.add(rng -> new Lstm(64, 256, rng)); // big enough to split its steps across two threads
      for (int i = 0; i < all.size(); i++) {
        Rng rng = new Rng(7);
        RecurrentLayer layer = all.get(i).apply(rng);
        RecurrentStream stream = layer.newStream();
        float[] x = new float[layer.inputSize()];
        for (int j = 0; j < x.length; j++) {
          x[j] = (float) rng.nextGaussian();
        }
        // Until C2 has compiled the kernels the Vector API runs its allocating fallbacks: step in
        // rounds until a round allocates nothing, for at most 20 seconds.
        long allocated = -1;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (allocated != 0 && System.nanoTime() < deadline) {
          long before = threads.getThreadAllocatedBytes(id);
          for (int step = 0; step < 5_000; step++) {
            stream.step(x);
          }
          allocated = threads.getThreadAllocatedBytes(id) - before;
        }
        System.out.println("allocated " + layer + " " + allocated);
      }
    }
  }

  /**
   * In a fresh JVM, as a service runs it: once compiled, 5,000 steps allocate zero bytes. (Inside
   * this crowded test JVM the LSTM stream sometimes stays on the Vector API's allocating fallback
   * for longer than any sane bound; see the issue notes.)
   */
  @Test
  void aStepAllocatesNothing() throws Exception {
    List<String> command = List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
        AllocationProbe.class.getName());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(150, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the allocation probe did not finish");
    }
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    List<String> lines = out.lines().filter(l -> l.startsWith("allocated ")).toList();
    assertThat(lines).as(out).hasSize(layers().size() + 1);
    for (String line : lines) {
      assertThat(line).as("bytes allocated by 5,000 warm steps").endsWith(" 0");
    }
  }

  /** Streams big enough to split each step's gate rows across two threads give the bits of one thread. */
  @Test
  void aStepSplitAcrossTwoThreadsGivesTheBitsOfOne() {
    List<RecurrentLayer> big = List.of(new Lstm(64, 256, new Rng(1)), new SimpleRnn(100, 600,
        SimpleRnn.Nonlinearity.TANH, new Rng(2)), new Lstm(48, 200, Lstm.Options.defaults().withPeepholes(true)
        .withProjection(72), new Rng(3)), new Gru(64, 256, new Rng(4)));
    int before = io.github.recurrent4j.kernel.Parallel.threads();
    try {
      for (RecurrentLayer layer : big) {
        io.github.recurrent4j.kernel.Parallel.setThreads(1);
        RecurrentStream one = layer.newStream();
        io.github.recurrent4j.kernel.Parallel.setThreads(2);
        RecurrentStream two = layer.newStream();
        Rng rng = new Rng(5);
        for (int step = 0; step < 20; step++) {
          float[] x = new float[layer.inputSize()];
          for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
          }
          float[] expected = one.step(x).clone();
          assertThat(two.step(x)).as("%s step %d", layer, step).containsExactly(expected);
        }
        assertThat(two.state().h().data()).containsExactly(one.state().h().data());
      }
    } finally {
      io.github.recurrent4j.kernel.Parallel.setThreads(before);
    }
  }

  /**
   * A stream steps on a packed copy of its layer's weights. Every way of changing a weight or a bias
   * between two steps shows in the next one, which gives the bits of a stream made after the change
   * and started from the same state; and a change of one layer's weights leaves another's alone.
   */
  @Test
  void aStepSeesEveryChangeOfTheWeightsMadeBeforeIt() {
    Rng rng = new Rng(12);
    Tensor other = Init.normal(Tensor.zeros(96, 5), 0, 1, rng);
    List<Map.Entry<String, java.util.function.Consumer<Lstm>>> changes = List.of(
        Map.entry("an optimizer step", lstm -> {
          for (Parameter p : lstm.parameters()) {
            p.grad().fill(0.5f);
          }
          new io.github.recurrent4j.optim.Sgd(lstm.parameters(), 0.1).step();
        }),
        Map.entry("a write through data()", lstm -> lstm.parameters().get(1).value().data()[7] += 0.75f),
        Map.entry("copyFrom", lstm -> lstm.parameters().get(0).value().copyFrom(other)),
        Map.entry("fill of a bias", lstm -> lstm.parameters().get(2).value().fill(0.3f)),
        Map.entry("set of a bias", lstm -> lstm.parameters().get(3).value().set(-2f, 50)),
        Map.entry("a write through a reshaped view", lstm -> lstm.parameters().get(1).value().reshape(-1).data()[3] = 4f),
        Map.entry("a state-dict load", lstm -> lstm.loadStateDict(new Lstm(5, 24, new Rng(99)).stateDict())),
        Map.entry("an initializer", lstm -> lstm.initialize(RecurrentLayer.Initializer.GLOROT_ORTHOGONAL, new Rng(5))));
    for (Map.Entry<String, java.util.function.Consumer<Lstm>> change : changes) {
      Lstm lstm = new Lstm(5, 24, new Rng(3));
      Lstm bystander = new Lstm(5, 24, new Rng(3));
      RecurrentStream stream = lstm.newStream();
      RecurrentStream bystanderStream = bystander.newStream();
      float[] x = new float[5];
      for (int step = 0; step < 3; step++) {
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) rng.nextGaussian();
        }
        stream.step(x);
        bystanderStream.step(x);
      }
      RnnState before = stream.state();
      float[] unchanged = stepOfACopy(lstm, before, x);
      change.getValue().accept(lstm);
      float[] expected = stepOfACopy(lstm, before, x);
      assertThat(expected).as(change.getKey() + " changed the output").isNotEqualTo(unchanged);
      assertThat(stream.step(x)).as(change.getKey()).containsExactly(expected);
      RecurrentStream bystanderFresh = bystander.newStream();
      bystanderFresh.reset(bystanderStream.state());
      assertThat(bystanderStream.step(x)).as("another layer after " + change.getKey())
          .containsExactly(bystanderFresh.step(x));
    }
  }

  /** One step of a new layer holding a copy of {@code lstm}'s weights, from {@code state}. */
  private static float[] stepOfACopy(Lstm lstm, RnnState state, float[] x) {
    Lstm copy = new Lstm(lstm.inputSize(), lstm.hiddenSize(), new Rng(0));
    copy.loadStateDict(lstm.stateDict());
    RecurrentStream stream = copy.newStream();
    stream.reset(state);
    return stream.step(x).clone();
  }

  /**
   * Collections may move the packed weights off a cache line, and a step then copies them onto one
   * (on JDKs that say where arrays lie): the steps before and after give the bits of a stream on a
   * copy of the layer that saw no collection.
   */
  @Test
  void stepsAcrossCollectionsGiveTheSameBits() {
    Lstm lstm = new Lstm(16, 40, new Rng(8));
    Lstm copy = new Lstm(16, 40, new Rng(0));
    copy.loadStateDict(lstm.stateDict());
    RecurrentStream collected = lstm.newStream();
    RecurrentStream plain = copy.newStream();
    Rng rng = new Rng(9);
    for (int step = 0; step < 12; step++) {
      float[] x = new float[16];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) rng.nextGaussian();
      }
      if (step % 3 == 2) {
        System.gc();
      }
      assertThat(collected.step(x)).as("step %d", step).containsExactly(plain.step(x));
    }
  }

  /**
   * The packed weights are made once and shared by the layer's streams: steps, new streams,
   * inference and a training forward and backward on the layer, which read the weights without
   * changing them, keep the same copy (the repacking they would otherwise cause costs about two
   * steps each).
   */
  @Test
  void readingTheWeightsKeepsThePackedCopy() {
    Rng rng = new Rng(4);
    Lstm lstm = new Lstm(5, 24, rng);
    float[] x = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f};
    lstm.newStream().step(x);
    RecurrentLayer.StreamWeights packed = lstm.streamWeights();
    RecurrentStream stream = lstm.newStream();
    stream.step(x);
    Tensor seq = Init.normal(Tensor.zeros(2, 3, 5), 0, 1, rng);
    lstm.infer(seq, null, null);
    lstm.forward(seq, null, null);
    lstm.backward(Tensor.full(1f, 2, 3, 24), null);
    lstm.stateDict();
    stream.step(x);
    // the same copy, or the same copy moved onto a cache line after a collection moved it: either
    // way it keeps the folded bias it was packed with, where packing again makes a new one
    assertThat(lstm.streamWeights().bias).isSameAs(packed.bias);
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
