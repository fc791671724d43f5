package io.github.recurrent4j.bench;

import io.github.recurrent4j.kernel.Gemm;
import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.kernel.Parallel;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * GEMM throughput in GFLOP/s for the shapes in {@code bench/gemm-shapes.txt}, for each kernel
 * implementation and thread count. Prints one line per case:
 * {@code gemm m n k transA transB impl threads gflops}. Run by {@code bench/gemm}.
 *
 * <p>Arguments: {@code --shapes FILE --threads 1,2 --impl scalar,simd --quick --best} (best: the fastest batch
 * instead of the median, for A/B tuning).
 */
public final class GemmBenchmark {
  private GemmBenchmark() {}

  /** One product of the given shape {@code m n k transA transB} on random data, as a runnable. */
  private static Runnable product(Kernels kernels, int[] s, Rng rng) {
    int m = s[0];
    int n = s[1];
    int k = s[2];
    boolean ta = s[3] != 0;
    boolean tb = s[4] != 0;
    float[] a = Init.uniform(Tensor.zeros(m * k), -1, 1, rng).data();
    float[] b = Init.uniform(Tensor.zeros(k * n), -1, 1, rng).data();
    float[] c = new float[m * n];
    int lda = ta ? m : k;
    int ldb = tb ? k : n;
    return () -> Gemm.gemm(kernels, ta, tb, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0f, c, 0, n);
  }

  public static void main(String[] args) throws Exception {
    String shapesFile = "bench/gemm-shapes.txt";
    String threadList = "1,2";
    String implList = "simd,scalar";
    boolean quick = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--shapes" -> shapesFile = args[++i];
        case "--threads" -> threadList = args[++i];
        case "--impl" -> implList = args[++i];
        case "--quick" -> quick = true;
        case "--best" -> Bench.best = true;
        default -> throw new IllegalArgumentException("GemmBenchmark: unknown argument " + args[i]);
      }
    }
    List<int[]> shapes = new ArrayList<>();
    for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(shapesFile))) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String[] f = t.split("\\s+");
      shapes.add(new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2]),
          Integer.parseInt(f[3]), Integer.parseInt(f[4])});
    }
    Rng rng = new Rng(1);
    // Warm-up: every path of every kernel gets compiled before anything is timed.
    for (String impl : implList.split(",")) {
      Kernels kernels = impl.equals("scalar") ? Kernels.scalar() : Kernels.simd();
      if (kernels == null) {
        continue;
      }
      for (String th : threadList.split(",")) {
        Parallel.setThreads(Integer.parseInt(th));
        for (int[] s : shapes) {
          Runnable body = product(kernels, s, rng);
          Bench.medianSeconds(body, quick ? 0.02 : 0.2, 1, 0.01);
        }
      }
    }
    for (String impl : implList.split(",")) {
      Kernels kernels = impl.equals("scalar") ? Kernels.scalar() : Kernels.simd();
      if (kernels == null) {
        System.out.println("# simd kernels unavailable: start the JVM with --add-modules jdk.incubator.vector");
        continue;
      }
      for (String th : threadList.split(",")) {
        Parallel.setThreads(Integer.parseInt(th));
        for (int[] s : shapes) {
          Runnable body = product(kernels, s, rng);
          double flops = 2.0 * s[0] * s[1] * s[2];
          double seconds = quick ? Bench.medianSeconds(body, 0.05, 3, 0.02)
              : Bench.medianSeconds(body, 0.5, 7, 0.15);
          System.out.printf("gemm %d %d %d %d %d %s %s %.2f%n", s[0], s[1], s[2], s[3], s[4], kernels.name(), th,
              flops / seconds / 1e9);
        }
      }
    }
  }
}
