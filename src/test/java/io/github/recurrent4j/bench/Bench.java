package io.github.recurrent4j.bench;

import java.util.Arrays;

/** A small, careful timing harness: warm-up, calibrated batches, the median of repeated batches. */
public final class Bench {
  private Bench() {}

  /** When true, {@link #medianSeconds} returns the fastest batch instead: for A/B tuning on a noisy machine. */
  public static boolean best = false;

  /** The median seconds per call of {@code body}, after warm-up, over {@code repeats} batches of about {@code batchSeconds}. */
  public static double medianSeconds(Runnable body, double warmupSeconds, int repeats, double batchSeconds) {
    long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
    int calls = 0;
    long start = System.nanoTime();
    do {
      body.run();
      calls++;
    } while (System.nanoTime() < warmupEnd);
    double perCall = (System.nanoTime() - start) / 1e9 / calls;
    int batch = Math.max(1, (int) Math.ceil(batchSeconds / Math.max(perCall, 1e-9)));
    double[] times = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < batch; i++) {
        body.run();
      }
      times[r] = (System.nanoTime() - t0) / 1e9 / batch;
    }
    Arrays.sort(times);
    if (best) {
      return times[0];
    }
    return repeats % 2 == 1 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
  }
}
