import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Two builds of the library in one JVM, each in a class loader of its own, stepping one workload
 * of its own {@code CompareBenchmark.workload} in alternating slices:
 * {@code java AbBuilds DIR_A DIR_B WORKLOAD ROUNDS [THREADS]}. See {@code bench/ab-builds}.
 */
public final class AbBuilds {
  private static final long SLICE_NANOS = 300_000_000L;
  private static final long WARM_UP_NANOS = 8_000_000_000L;

  public static void main(String[] args) throws Exception {
    String[] dirs = {args[0], args[1]};
    String id = args[2];
    int rounds = Integer.parseInt(args[3]);
    int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1;
    Runnable[] step = new Runnable[2];
    for (int s = 0; s < 2; s++) {
      step[s] = workload(load(dirs[s], threads), id);
    }
    long warm = System.nanoTime() + WARM_UP_NANOS;
    while (System.nanoTime() < warm) {
      step[0].run();
      step[1].run();
    }
    double[][] ms = new double[2][rounds];
    double[] ratio = new double[rounds];
    int bFaster = 0;
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < 2; i++) {
        int s = r % 2 == 0 ? i : 1 - i; // A first in even rounds, B first in odd ones
        int n = 0;
        long t0 = System.nanoTime();
        long t1;
        do {
          step[s].run();
          n++;
          t1 = System.nanoTime();
        } while (t1 - t0 < SLICE_NANOS);
        ms[s][r] = (t1 - t0) / 1e6 / n;
      }
      ratio[r] = ms[1][r] / ms[0][r];
      bFaster += ratio[r] < 1 ? 1 : 0;
    }
    Arrays.sort(ms[0]);
    Arrays.sort(ms[1]);
    Arrays.sort(ratio);
    System.out.printf("%s A %.4f ms  B %.4f ms (medians of %d slices)  B/A median %.3f [%.3f .. %.3f], B faster in %d"
        + "%n", id, ms[0][rounds / 2], ms[1][rounds / 2], rounds, ratio[rounds / 2], ratio[0], ratio[rounds - 1],
        bFaster);
  }

  /** A class loader of its own for the build in {@code dir} (built by mvn test-compile), set to {@code threads}. */
  static ClassLoader load(String dir, int threads) throws Exception {
    URL[] path = {Path.of(dir, "target/classes").toUri().toURL(), Path.of(dir, "target/test-classes").toUri().toURL()};
    ClassLoader loader = new URLClassLoader(path, ClassLoader.getPlatformClassLoader());
    loader.loadClass("io.github.recurrent4j.kernel.Parallel").getMethod("setThreads", int.class).invoke(null, threads);
    return loader;
  }

  /** One step of the build's {@code CompareBenchmark.workload(id)}. */
  static Runnable workload(ClassLoader loader, String id) throws Exception {
    return (Runnable) loader.loadClass("io.github.recurrent4j.bench.CompareBenchmark")
        .getMethod("workload", String.class).invoke(null, id);
  }
}
