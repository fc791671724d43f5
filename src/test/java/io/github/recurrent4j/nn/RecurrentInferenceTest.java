package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RecurrentInferenceTest {
  static List<Function<Rng, RecurrentLayer>> layers() {
    return RecurrentSemanticsTest.layers();
  }

  @ParameterizedTest
  @MethodSource("layers")
  void inferenceGivesTheTrainingForwardsNumbersAndLeavesTheLayerAlone(Function<Rng, RecurrentLayer> make) {
    Rng rng = new Rng(4);
    RecurrentLayer layer = make.apply(rng);
    Tensor x = Init.normal(Tensor.zeros(3, 6, 3), 0, 1, rng);
    int[] lengths = {6, 3, 0};
    Tensor h0 = Init.normal(Tensor.zeros(1, 3, 4), 0, 1, rng);
    Tensor c0 = layer instanceof Lstm ? Init.normal(Tensor.zeros(1, 3, 4), 0, 1, rng) : null;
    RecurrentLayer.Result inferred = layer.infer(x, lengths, new RnnState(h0, c0));
    Tensor y = layer.forward(x, lengths, new RnnState(h0, c0));
    assertThat(inferred.output().data()).containsExactly(y.data());
    assertThat(inferred.finalState().h().data()).containsExactly(layer.finalState().h().data());
    // An inference call between forward and backward does not disturb the training pass.
    Tensor dy = Init.normal(Tensor.zeros(3, 6, 4), 0, 1, rng);
    Tensor dx1 = layer.backward(dy);
    layer.forward(x, lengths, new RnnState(h0, c0));
    layer.infer(Init.normal(Tensor.zeros(5, 2, 3), 0, 1, rng), null, null);
    Tensor dx2 = layer.backward(dy);
    assertThat(dx2.data()).containsExactly(dx1.data());
  }

  @ParameterizedTest
  @MethodSource("layers")
  void eightThreadsServingMixedLengthsMatchSequentialResultsExactly(Function<Rng, RecurrentLayer> make)
      throws Exception {
    Rng rng = new Rng(8);
    RecurrentLayer layer = make.apply(rng);
    int requests = 400;
    List<Tensor> inputs = new ArrayList<>();
    List<int[]> lengths = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      int b = 1 + rng.nextInt(4);
      int t = 1 + rng.nextInt(12);
      inputs.add(Init.normal(Tensor.zeros(b, t, 3), 0, 1, rng));
      int[] lens = new int[b];
      for (int j = 0; j < b; j++) {
        lens[j] = rng.nextInt(t + 1);
      }
      lengths.add(lens);
    }
    List<float[]> sequential = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      sequential.add(layer.infer(inputs.get(i), lengths.get(i), null).output().data());
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<float[]>> futures = new ArrayList<>();
      for (int i = 0; i < requests; i++) {
        int request = i;
        futures.add(pool.submit(() -> layer.infer(inputs.get(request), lengths.get(request), null).output().data()));
      }
      for (int i = 0; i < requests; i++) {
        assertThat(futures.get(i).get()).as("request %d", i).containsExactly(sequential.get(i));
      }
    } finally {
      pool.shutdown();
    }
  }

  /** infer keeps one workspace between calls: what an earlier call left in it must not reach a later one. */
  @org.junit.jupiter.api.Test
  void aReusedWorkspaceGivesTheBitsOfAFreshLayerAndHandsOutNothingItOwns() {
    List<Function<Rng, RecurrentLayer>> makes = List.of(rng -> new Lstm(3, 8, rng),
        rng -> new Lstm(3, 8, Lstm.Options.defaults().withProjection(5).withPeepholes(true), rng),
        rng -> new Gru(3, 8, rng), rng -> new Gru(3, 8, true, rng),
        rng -> new SimpleRnn(3, 8, SimpleRnn.Nonlinearity.RELU, rng));
    for (Function<Rng, RecurrentLayer> make : makes) {
      RecurrentLayer reused = make.apply(new Rng(1));
      Rng rng = new Rng(2);
      RecurrentLayer.Result earlier = null;
      float[] earlierOutput = null;
      float[] earlierH = null;
      for (int call = 0; call < 4; call++) { // batch 6: W_hh is packed; lengths and values change every call
        Tensor x = Init.normal(Tensor.zeros(6, 5, 3), 0, call % 2 == 0 ? 1 : 50, rng);
        int[] lengths = call % 2 == 0 ? new int[] {5, 5, 5, 5, 5, 5} : new int[] {1, 0, 5, 2, 3, 4};
        RecurrentLayer.Result got = reused.infer(x, lengths, null);
        RecurrentLayer.Result expected = make.apply(new Rng(1)).infer(x, lengths, null);
        assertThat(got.output().data()).as("%s call %d output", reused, call).containsExactly(expected.output().data());
        assertThat(got.finalState().h().data()).as("%s call %d h", reused, call)
            .containsExactly(expected.finalState().h().data());
        if (expected.finalState().c() != null) {
          assertThat(got.finalState().c().data()).containsExactly(expected.finalState().c().data());
        }
        if (earlier != null) {
          assertThat(earlier.output().data()).as("an earlier result stays put").containsExactly(earlierOutput);
          assertThat(earlier.finalState().h().data()).containsExactly(earlierH);
        }
        earlier = got;
        earlierOutput = got.output().data().clone();
        earlierH = got.finalState().h().data().clone();
      }
    }
  }
}
