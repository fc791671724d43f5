package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.loss.CrossEntropy;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Serving one trained model from many threads, and the fail-fast guard against training from two. */
class ConcurrencyTest {
  record Request(int[] ids, int batch, int steps, int[] lengths) {}

  /** A token tagger (embedding, LSTM, linear), trained for a few steps so its weights are not the initial ones. */
  static final class Tagger {
    final Embedding embedding = new Embedding(20, 8, new Rng(1));
    final Lstm lstm = new Lstm(8, 16, new Rng(2));
    final Linear head = new Linear(16, 5, true, new Rng(3));

    Tagger train() {
      Rng rng = new Rng(4);
      List<Parameter> all = new ArrayList<>(embedding.parameters());
      all.addAll(lstm.parameters());
      all.addAll(head.parameters());
      Adam adam = new Adam(all, 0.01);
      CrossEntropy loss = new CrossEntropy();
      for (int step = 0; step < 30; step++) {
        int[] ids = new int[4 * 10];
        int[] tags = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = rng.nextInt(20);
          tags[i] = ids[i] % 5;
        }
        adam.zeroGrad();
        loss.forward(head.forward(lstm.forward(embedding.forward(ids, 4, 10), null, null)), tags);
        embedding.backward(lstm.backward(head.backward(loss.backward()), null));
        adam.step();
      }
      return this;
    }

    float[] serve(Request r) {
      Tensor x = embedding.infer(r.ids(), r.batch(), r.steps());
      return head.infer(lstm.infer(x, r.lengths(), null).output()).data();
    }
  }

  @Test
  void eightThreadsServeTenThousandMixedLengthRequestsBitIdenticallyToSequentialRuns() throws Exception {
    Tagger model = new Tagger().train();
    Rng rng = new Rng(10_000);
    List<Request> requests = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      int b = 1 + rng.nextInt(4);
      int t = 1 + rng.nextInt(24);
      int[] ids = new int[b * t];
      for (int j = 0; j < ids.length; j++) {
        ids[j] = rng.nextInt(20);
      }
      int[] lengths = new int[b];
      for (int j = 0; j < b; j++) {
        lengths[j] = rng.nextInt(t + 1); // zero-length rows included
      }
      requests.add(new Request(ids, b, t, lengths));
    }
    List<float[]> sequential = new ArrayList<>();
    for (Request r : requests) {
      sequential.add(model.serve(r));
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<float[]>> futures = new ArrayList<>();
      for (Request r : requests) {
        futures.add(pool.submit(() -> model.serve(r)));
      }
      for (int i = 0; i < requests.size(); i++) {
        assertThat(futures.get(i).get()).as("request %d", i).containsExactly(sequential.get(i));
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void trainingOneLayerFromTwoThreadsAtOnceFailsFastAndLeavesTheFirstUnharmed() throws Exception {
    Lstm lstm = new Lstm(8, 32, new Rng(5));
    Tensor longInput = Init.normal(Tensor.zeros(1, 40_000, 8), 0, 1, new Rng(6));
    float[] expected = new Lstm(8, 32, new Rng(5)).forward(longInput, null, null).data();
    AtomicReference<float[]> first = new AtomicReference<>();
    Thread trainer = new Thread(() -> first.set(lstm.forward(longInput, null, null).data()), "trainer-1");
    trainer.start();
    while (lstm.trainingThread() == null && trainer.isAlive()) {
      Thread.onSpinWait();
    }
    assertThat(lstm.trainingThread()).as("the first thread is inside forward").isSameAs(trainer);
    String name = Thread.currentThread().getName();
    assertThatThrownBy(() -> lstm.forward(Tensor.zeros(2, 3, 8), null, null)).isInstanceOf(IllegalStateException.class)
        .hasMessage("Lstm(input=8, hidden=32): forward called from thread " + name + " while thread trainer-1 is in forward or"
            + " backward of this layer; training is single-threaded per layer (use infer() to serve from many threads)");
    assertThatThrownBy(() -> lstm.backward(Tensor.zeros(1, 40_000, 32), null))
        .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("Lstm(input=8, hidden=32): backward called from thread ");
    // Serving is not training: infer runs beside the training thread.
    assertThat(lstm.infer(Tensor.zeros(2, 3, 8), null, null).output().shape()).containsExactly(2, 3, 32);
    trainer.join();
    float[] got = first.get();
    int differs = -1;
    for (int i = 0; i < expected.length && differs < 0; i++) {
      differs = Float.floatToIntBits(got[i]) == Float.floatToIntBits(expected[i]) ? -1 : i;
    }
    assertThat(differs).as("first differing output (expected %s)", differs < 0 ? "" : expected[differs] + " got " + got[differs]).isEqualTo(-1);
    assertThat(lstm.trainingThread()).isNull();
    lstm.forward(Tensor.zeros(2, 3, 8), null, null); // free again
  }

  @Test
  void theGuardLetsTheSameThreadInAgainAndReleasesOnlyWhatItTook() {
    TrainingGuard guard = new TrainingGuard();
    boolean outer = guard.enter("L", "forward");
    boolean inner = guard.enter("L", "backward");
    assertThat(outer).isTrue();
    assertThat(inner).isFalse();
    guard.leave(inner);
    assertThat(guard.inside()).isSameAs(Thread.currentThread());
    guard.leave(outer);
    assertThat(guard.inside()).isNull();
  }
}
