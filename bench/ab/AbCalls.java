import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Two builds of the library in one JVM, each in a class loader of its own, alternating call by
 * call on one workload ({@code CompareBenchmark.workload}) or one GEMM shape: {@code java AbCalls
 * DIR_A DIR_B SECONDS WORKLOAD} or {@code java AbCalls DIR_A DIR_B SECONDS gemm M N K TRANS_A TRANS_B}.
 * Each pair of calls gives a ratio B/A (the two in either order, alternately); the median of
 * the ratios follows a difference of a few percent through load that changes from second to second.
 * Loads the builds as {@link AbBuilds} does. See {@code bench/ab-calls}.
 */
public final class AbCalls {
  private static final long WARM_UP_NANOS = 8_000_000_000L;

  public static void main(String[] args) throws Exception {
    String[] dirs = {args[0], args[1]};
    double seconds = Double.parseDouble(args[2]);
    String id = args[3];
    Runnable[] call = new Runnable[2];
    for (int s = 0; s < 2; s++) {
      ClassLoader loader = AbBuilds.load(dirs[s], 1);
      call[s] = id.equals("gemm") ? gemm(loader, args) : AbBuilds.workload(loader, id);
    }
    long warm = System.nanoTime() + WARM_UP_NANOS;
    while (System.nanoTime() < warm) {
      call[0].run();
      call[1].run();
    }
    List<Double> ratios = new ArrayList<>();
    List<Double> msA = new ArrayList<>();
    List<Double> msB = new ArrayList<>();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    for (int pair = 0; System.nanoTime() < end; pair++) {
      long[] nanos = new long[2];
      for (int i = 0; i < 2; i++) {
        int s = pair % 2 == 0 ? i : 1 - i; // A first in even pairs, B first in odd ones
        long t0 = System.nanoTime();
        call[s].run();
        nanos[s] = System.nanoTime() - t0;
      }
      ratios.add((double) nanos[1] / nanos[0]);
      msA.add(nanos[0] / 1e6);
      msB.add(nanos[1] / 1e6);
    }
    Collections.sort(ratios);
    Collections.sort(msA);
    Collections.sort(msB);
    int n = ratios.size();
    long bFaster = ratios.stream().filter(r -> r < 1).count();
    System.out.printf("%s pairs=%d A %.3f ms B %.3f ms (medians)  B/A median %.3f, quartiles %.3f %.3f, B faster in"
        + " %d%%%n", String.join(" ", List.of(args).subList(3, args.length)), n, msA.get(n / 2), msB.get(n / 2),
        ratios.get(n / 2), ratios.get(n / 4), ratios.get(3 * n / 4), 100 * bFaster / n);
  }

  /** {@code Gemm.gemm} of the build in {@code loader} on one shape, C overwritten (beta 0). */
  private static Runnable gemm(ClassLoader loader, String[] args) throws Exception {
    int m = Integer.parseInt(args[4]);
    int n = Integer.parseInt(args[5]);
    int k = Integer.parseInt(args[6]);
    boolean ta = args[7].equals("1");
    boolean tb = args[8].equals("1");
    float[] a = new float[m * k];
    float[] b = new float[k * n];
    float[] c = new float[m * n];
    Random random = new Random(1);
    for (int i = 0; i < a.length; i++) {
      a[i] = random.nextFloat() - 0.5f;
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = random.nextFloat() - 0.5f;
    }
    Method gemm = loader.loadClass("io.github.recurrent4j.kernel.Gemm").getMethod("gemm", boolean.class,
        boolean.class, int.class, int.class, int.class, float.class, float[].class, int.class, int.class,
        float[].class, int.class, int.class, float.class, float[].class, int.class, int.class);
    return () -> {
      try {
        gemm.invoke(null, ta, tb, m, n, k, 1f, a, 0, ta ? m : k, b, 0, tb ? k : n, 0f, c, 0, n);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    };
  }
}
