package io.github.recurrent4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {
  @AfterEach
  void restore() {
    Parallel.setThreads(Runtime.getRuntime().availableProcessors());
  }

  @Test
  void everyTaskRunsExactlyOnceForManyJobs() {
    Parallel.setThreads(3);
    for (int job = 0; job < 2000; job++) {
      int tasks = 1 + job % 5;
      AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
      Parallel.run(tasks, runs::incrementAndGet);
      for (int t = 0; t < tasks; t++) {
        assertThat(runs.get(t)).as("job %d task %d", job, t).isEqualTo(1);
      }
    }
  }

  @Test
  void theFirstFailureIsRethrownAndThePoolKeepsWorking() {
    Parallel.setThreads(2);
    assertThatThrownBy(() -> Parallel.run(4, t -> {
      if (t == 2) {
        throw new IllegalStateException("task 2 failed");
      }
    })).isInstanceOf(IllegalStateException.class).hasMessage("task 2 failed");
    AtomicIntegerArray runs = new AtomicIntegerArray(4);
    Parallel.run(4, runs::incrementAndGet);
    assertThat(runs.get(3)).isEqualTo(1);
  }

  @Test
  void aPreparedJobRunsEveryTaskOnceEachTimeInterleavedWithOtherJobs() {
    Parallel.setThreads(3);
    int[] counts = new int[4]; // task t writes only counts[t]; the run's end publishes the writes
    Parallel.Prepared prepared = Parallel.prepare(4, t -> counts[t]++);
    assertThat(prepared.tasks()).isEqualTo(4);
    for (int round = 1; round <= 20_000; round++) {
      Parallel.run(prepared);
      if (round % 7 == 0) {
        Parallel.run(3, t -> { }); // a fresh job between two runs of the prepared one
      }
      if (round % 1000 == 0) {
        for (int t = 0; t < 4; t++) {
          assertThat(counts[t]).as("round %d task %d", round, t).isEqualTo(round);
        }
      }
    }
  }

  @Test
  void aPreparedJobCompletesWhenItsWorkerIsParkedOrGone() throws InterruptedException {
    Parallel.setThreads(2);
    int[] counts = new int[2];
    Parallel.Prepared prepared = Parallel.prepare(2, t -> counts[t]++);
    for (int round = 1; round <= 20; round++) {
      Thread.sleep(3); // the worker parks after 50 us idle: the caller may take its task
      Parallel.run(prepared);
      assertThat(counts).containsExactly(round, round);
    }
    Parallel.setThreads(1); // the pool and its worker are gone
    Parallel.run(prepared);
    assertThat(counts).containsExactly(21, 21);
  }

  @Test
  void aPreparedJobRethrowsAFailureAndRunsAgain() {
    Parallel.setThreads(2);
    boolean[] fail = {true};
    AtomicIntegerArray runs = new AtomicIntegerArray(2);
    Parallel.Prepared prepared = Parallel.prepare(2, t -> {
      if (fail[0] && t == 1) {
        throw new IllegalStateException("task 1 failed");
      }
      runs.incrementAndGet(t);
    });
    assertThatThrownBy(() -> Parallel.run(prepared)).isInstanceOf(IllegalStateException.class)
        .hasMessage("task 1 failed");
    fail[0] = false;
    Parallel.run(prepared);
    assertThat(runs.get(0)).isEqualTo(2);
    assertThat(runs.get(1)).isEqualTo(1);
    assertThatThrownBy(() -> Parallel.prepare(0, t -> { }))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Parallel.prepare: needs tasks >= 1 and a body, got tasks=0");
    assertThatThrownBy(() -> Parallel.prepare(2, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Parallel.prepare: needs tasks >= 1 and a body, got tasks=2 and no body");
  }

  @Test
  void nestedCallsRunSequentiallyInsteadOfDeadlocking() {
    Parallel.setThreads(2);
    AtomicIntegerArray inner = new AtomicIntegerArray(4);
    Parallel.run(2, outer -> {
      assertThat(Parallel.tasksAvailable()).isEqualTo(1);
      Parallel.run(2, t -> inner.incrementAndGet(outer * 2 + t));
    });
    for (int i = 0; i < 4; i++) {
      assertThat(inner.get(i)).isEqualTo(1);
    }
  }

  @Test
  void threadCountMustBePositive() {
    assertThatThrownBy(() -> Parallel.setThreads(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Parallel.setThreads: count must be >= 1, got 0");
  }

  @Test
  void concurrentCallersAllFinishWithTheirOwnResults() throws Exception {
    Parallel.setThreads(2);
    Thread[] callers = new Thread[6];
    int[][] results = new int[callers.length][];
    for (int c = 0; c < callers.length; c++) {
      int caller = c;
      callers[c] = new Thread(() -> {
        int[] out = new int[64];
        for (int round = 0; round < 300; round++) {
          Parallel.run(4, t -> {
            for (int i = t * 16; i < (t + 1) * 16; i++) {
              out[i] += caller;
            }
          });
        }
        results[caller] = out;
      });
      callers[c].start();
    }
    for (Thread t : callers) {
      t.join(60_000);
    }
    for (int c = 0; c < callers.length; c++) {
      assertThat(results[c]).as("caller %d", c).containsOnly(300 * c);
    }
  }
}
