package io.github.recurrent4j.bench;

import io.github.recurrent4j.kernel.Gemm;
import io.github.recurrent4j.kernel.Parallel;
import io.github.recurrent4j.loss.MeanSquaredError;
import io.github.recurrent4j.nn.Bidirectional;
import io.github.recurrent4j.nn.Gru;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.MultiHeadAttention;
import io.github.recurrent4j.nn.RecurrentLayer;
import io.github.recurrent4j.nn.RecurrentStream;
import io.github.recurrent4j.nn.SimpleRnn;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.lang.management.ManagementFactory;

/**
 * The Java side of {@code bench/compare-pytorch}: the workloads W1–W8 of the performance issue,
 * printed as {@code W<id> threads=<n> <value> <unit>}, then the memory figures and the W1 scaling
 * table. {@code bench/compare_torch.py} prints the same lines for PyTorch.
 *
 * <p>A train step is forward, mean-squared error on every output, backward and an Adam step.
 */
public final class CompareBenchmark {
  private CompareBenchmark() {}

  private static boolean quick;

  public static void main(String[] args) {
    quick = args.length > 0 && args[0].equals("--quick");
    boolean scaleOnly = args.length > 0 && args[0].equals("--scale");
    if (args.length == 1 && args[0].equals("--memory")) {
      memory();
      return;
    }
    if (args.length == 3 && args[0].equals("--profile")) {
      profile(args[1], Double.parseDouble(args[2]));
      return;
    }
    if (!scaleOnly) {
      // The first seconds run the Vector API interpreted: warm every workload up before timing any.
      for (int pass = 0; pass < 2; pass++) {
        for (int threads : new int[] {1, 2}) {
          Parallel.setThreads(threads);
          workloads(threads, pass == 1);
        }
      }
      Parallel.setThreads(1);
      memory();
    }
    if (scaleOnly) {
      Parallel.setThreads(1);
      scale();
    }
  }

  private static double seconds(Runnable body, boolean timed) {
    if (!timed) {
      Bench.medianSeconds(body, quick ? 0.3 : 1.5, 1, 0.01);
      return Double.NaN;
    }
    return quick ? Bench.medianSeconds(body, 0.2, 3, 0.1) : Bench.medianSeconds(body, 1, 7, 0.4);
  }

  private static void print(String id, int threads, double value, String unit, boolean timed) {
    if (timed) {
      System.out.printf("%s threads=%d %.2f %s%n", id, threads, value, unit);
    }
  }

  /**
   * Forward, MSE against a fixed target on every output, backward, Adam; the output, its gradient
   * and dx are written into tensors kept between steps (the {@code out=} variants).
   */
  static Runnable trainStep(RecurrentLayer layer, int batch, int steps, int input, long seed) {
    return trainStep(layer, batch, steps, input, seed, true);
  }

  /** As above; without {@code reuse}, the calls that return fresh tensors. */
  static Runnable trainStep(RecurrentLayer layer, int batch, int steps, int input, long seed, boolean reuse) {
    Rng rng = new Rng(seed);
    Tensor x = Init.normal(Tensor.zeros(batch, steps, input), 0, 1, rng);
    Tensor target = Init.normal(Tensor.zeros(batch, steps, layer.outputSize()), 0, 1, rng);
    Adam adam = new Adam(layer.parameters(), 1e-3);
    MeanSquaredError mse = new MeanSquaredError();
    if (!reuse) {
      return () -> {
        adam.zeroGrad();
        mse.forward(layer.forward(x, null, null), target);
        layer.backward(mse.backward(), null);
        adam.step();
      };
    }
    Tensor y = Tensor.zeros(batch, steps, layer.outputSize());
    Tensor dy = Tensor.zeros(batch, steps, layer.outputSize());
    Tensor dx = Tensor.zeros(batch, steps, input);
    return () -> {
      adam.zeroGrad();
      mse.forward(layer.forward(x, null, null, y), target);
      layer.backward(mse.backward(dy), null, dx);
      adam.step();
    };
  }

  static void workloads(int threads, boolean timed) {
    int b = 32;
    int t = 50;
    for (String kind : new String[] {"W1", "W2", "W3"}) {
      Rng rng = new Rng(1);
      RecurrentLayer layer = switch (kind) {
        case "W1" -> new Lstm(64, 128, rng);
        case "W2" -> new Gru(64, 128, rng);
        default -> new SimpleRnn(64, 128, SimpleRnn.Nonlinearity.TANH, rng);
      };
      print(kind, threads, b / seconds(trainStep(layer, b, t, 64, 2), timed), "sequences/s", timed);
    }
    print("W4", threads, 64 / seconds(trainStep(new Lstm(256, 512, new Rng(1)), 64, 100, 256, 2), timed), "sequences/s",
        timed);

    RecurrentStream stream = new Lstm(64, 256, new Rng(3)).newStream();
    float[] xt = new float[64];
    print("W5", threads, 1e6 * seconds(() -> stream.step(xt), timed), "us/step", timed);

    Bidirectional bi = new Bidirectional(new Lstm(64, 128, new Rng(4)));
    Tensor x6 = Init.normal(Tensor.zeros(b, t, 64), 0, 1, new Rng(5));
    print("W6", threads, b / seconds(() -> bi.infer(x6, null, null), timed), "sequences/s", timed);

    MultiHeadAttention mha = new MultiHeadAttention(128, 4, new Rng(6));
    Tensor x7 = Init.normal(Tensor.zeros(32, 64, 128), 0, 1, new Rng(7));
    Tensor dy7 = Init.normal(Tensor.zeros(32, 64, 128), 0, 1, new Rng(8));
    print("W7", threads, 32 / seconds(attentionStep(mha, x7, dy7), timed), "sequences/s", timed);

    for (int n : new int[] {512, 1024}) {
      float[] a = Init.normal(Tensor.zeros(n, n), 0, 1, new Rng(9)).data();
      float[] bm = Init.normal(Tensor.zeros(n, n), 0, 1, new Rng(10)).data();
      float[] c = new float[n * n];
      double s = seconds(() -> Gemm.gemm(false, false, n, n, n, 1f, a, 0, n, bm, 0, n, 0f, c, 0, n), timed);
      print("W8-" + n, threads, 2.0 * n * n * n / s / 1e9, "GFLOP/s", timed);
    }
  }

  /**
   * Runs one workload (W1, W2, W3, W5, W6 or W7) on 1 thread for {@code seconds}, for a profiler
   * attached from the command line (see bench/profile).
   */
  static void profile(String id, double seconds) {
    Parallel.setThreads(1);
    Runnable body = workload(id);
    long end = System.nanoTime() + (long) (seconds * 1e9);
    while (System.nanoTime() < end) {
      body.run();
    }
  }

  /**
   * One step of workload W1, W2, W3, W5, W6 or W7 as timed here, on the threads set by
   * {@link Parallel#setThreads}: for bench/profile, and for bench/ab-builds, which loads two builds'
   * copies of this class side by side.
   */
  public static Runnable workload(String id) {
    return switch (id) {
      case "W1" -> trainStep(new Lstm(64, 128, new Rng(1)), 32, 50, 64, 2);
      case "W2" -> trainStep(new Gru(64, 128, new Rng(1)), 32, 50, 64, 2);
      case "W3" -> trainStep(new SimpleRnn(64, 128, SimpleRnn.Nonlinearity.TANH, new Rng(1)), 32, 50, 64, 2);
      case "W5" -> {
        RecurrentStream stream = new Lstm(64, 256, new Rng(3)).newStream();
        float[] xt = new float[64];
        yield () -> stream.step(xt);
      }
      case "W6" -> {
        Bidirectional bi = new Bidirectional(new Lstm(64, 128, new Rng(4)));
        Tensor x = Init.normal(Tensor.zeros(32, 50, 64), 0, 1, new Rng(5));
        yield () -> bi.infer(x, null, null);
      }
      case "W7" -> {
        MultiHeadAttention mha = new MultiHeadAttention(128, 4, new Rng(6));
        Tensor x = Init.normal(Tensor.zeros(32, 64, 128), 0, 1, new Rng(7));
        Tensor dy = Init.normal(Tensor.zeros(32, 64, 128), 0, 1, new Rng(8));
        yield attentionStep(mha, x, dy);
      }
      default -> throw new IllegalArgumentException("no workload " + id + "; W1, W2, W3, W5, W6 or W7");
    };
  }

  /** W7's step: forward and backward with the given gradient, into tensors kept between steps (the {@code out=} calls). */
  static Runnable attentionStep(MultiHeadAttention mha, Tensor x, Tensor dy) {
    Tensor out = Tensor.zeros(x.shape());
    Tensor dx = Tensor.zeros(x.shape());
    return () -> {
      mha.zeroGrad();
      mha.forward(x, out);
      mha.backward(dy, dx);
    };
  }

  /** Bytes the current thread allocates running {@code body} once. */
  static long allocated(Runnable body) {
    com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    long before = bean.getThreadAllocatedBytes(id);
    body.run();
    return bean.getThreadAllocatedBytes(id) - before;
  }

  /**
   * W1's activation cache (what the first training forward allocates: the slabs kept for backward
   * and the output) and the garbage of a warm train step, with the {@code out=} calls and with the
   * calls that return fresh tensors; then a warm streaming step's (W5) garbage.
   */
  static void memory() {
    Runnable warmUp = trainStep(new Lstm(64, 128, new Rng(1)), 32, 50, 64, 2, true);
    for (int i = 0; i < 300; i++) { // until the JIT has compiled the kernels (interpreted, they allocate)
      warmUp.run();
    }
    Tensor x = Tensor.zeros(32, 50, 64);
    long cache = allocated(() -> new Lstm(64, 128, new Rng(1)).forward(x)) - allocated(() -> new Lstm(64, 128,
        new Rng(1)));
    for (boolean reuse : new boolean[] {true, false}) {
      Runnable step = trainStep(new Lstm(64, 128, new Rng(1)), 32, 50, 64, 2, reuse);
      long first = allocated(step);
      for (int i = 0; i < 50; i++) {
        step.run();
      }
      long warm = Long.MAX_VALUE;
      for (int i = 0; i < 5; i++) {
        warm = Math.min(warm, allocated(step));
      }
      System.out.printf("memory W1 calls=%s activation-cache-bytes=%d first-step-bytes=%d warm-step-bytes=%d%n",
          reuse ? "out" : "fresh", cache, first, warm);
    }
    RecurrentStream stream = new Lstm(64, 256, new Rng(3)).newStream();
    float[] xt = new float[64];
    for (int i = 0; i < 100_000; i++) {
      stream.step(xt);
    }
    long streamBytes = allocated(() -> {
      for (int i = 0; i < 1000; i++) {
        stream.step(xt);
      }
    });
    System.out.printf("memory W5 bytes-per-1000-steps=%d%n", streamBytes);
  }

  /** W1 (1 thread) as T, B and H grow, one at a time from B=32, T=50, I=64, H=128: milliseconds per train step. */
  static void scale() {
    int[][] cases = {
        {32, 25, 128}, {32, 50, 128}, {32, 100, 128}, {32, 200, 128}, {32, 400, 128},
        {1, 50, 128}, {8, 50, 128}, {64, 50, 128}, {128, 50, 128}, {256, 50, 128},
        {32, 50, 32}, {32, 50, 256}, {32, 50, 512}, {32, 50, 1024}};
    Bench.medianSeconds(trainStep(new Lstm(64, 128, new Rng(1)), 32, 50, 64, 2), 3, 1, 0.01); // past the JIT's warm-up
    for (int[] c : cases) {
      Runnable step = trainStep(new Lstm(64, c[2], new Rng(1)), c[0], c[1], 64, 2);
      Bench.medianSeconds(step, 0.5, 1, 0.01);
      double s = Bench.medianSeconds(step, 0.3, 3, 0.2);
      System.out.printf("scale B=%d T=%d H=%d %.3f ms/step%n", c[0], c[1], c[2], s * 1e3);
    }
  }
}
