package io.github.recurrent4j.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * How close the SIMD GEMM micro-kernels come to this core's peak, with their operands in L1: the
 * packed kernel ({@code microKernel}, A as panels, as a transposed A is read), the in-place one
 * ({@code microKernelRowsWide}, A's rows read where they lie) and sixteen independent FMA chains on
 * registers alone, which is as fast as the Vector API multiplies and adds on this core. The three
 * alternate in slices of about 0.1 s in one JVM, so that a burst of load from the machine's other
 * tenants hits them alike; it prints each one's median GFLOP/s and its share of the peak's.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes io.github.recurrent4j.kernel.MicroKernelPeak [kc]</pre>
 */
public final class MicroKernelPeak {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int SLICES = 30;

  private MicroKernelPeak() {}

  /** 16 FMA chains of {@code n} steps each on registers: {@code 32 · n · lanes} flops. */
  static float fmaChains(long n, float[] seed) {
    FloatVector x = FloatVector.fromArray(S, seed, 0);
    FloatVector y = FloatVector.fromArray(S, seed, S.length());
    FloatVector a0 = y;
    FloatVector a1 = y;
    FloatVector a2 = y;
    FloatVector a3 = y;
    FloatVector a4 = y;
    FloatVector a5 = y;
    FloatVector a6 = y;
    FloatVector a7 = y;
    FloatVector a8 = y;
    FloatVector a9 = y;
    FloatVector a10 = y;
    FloatVector a11 = y;
    FloatVector a12 = y;
    FloatVector a13 = y;
    FloatVector a14 = y;
    FloatVector a15 = y;
    for (long i = 0; i < n; i++) {
      a0 = x.fma(y, a0);
      a1 = x.fma(y, a1);
      a2 = x.fma(y, a2);
      a3 = x.fma(y, a3);
      a4 = x.fma(y, a4);
      a5 = x.fma(y, a5);
      a6 = x.fma(y, a6);
      a7 = x.fma(y, a7);
      a8 = x.fma(y, a8);
      a9 = x.fma(y, a9);
      a10 = x.fma(y, a10);
      a11 = x.fma(y, a11);
      a12 = x.fma(y, a12);
      a13 = x.fma(y, a13);
      a14 = x.fma(y, a14);
      a15 = x.fma(y, a15);
    }
    FloatVector s = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7);
    return s.add(a8).add(a9).add(a10).add(a11).add(a12).add(a13).add(a14).add(a15).lane(0);
  }

  public static void main(String[] args) {
    Kernels k = Kernels.simd();
    if (k == null) {
      throw new IllegalStateException("run with --add-modules jdk.incubator.vector");
    }
    int kc = args.length > 0 ? Integer.parseInt(args[0]) : 256;
    int mr = k.mr();
    int nr = k.nr();
    float[] ap = new float[mr * kc];
    float[] bp = new float[2 * nr * kc];
    float[] c = new float[mr * 2 * nr];
    for (int i = 0; i < ap.length; i++) {
      ap[i] = (i % 7) * 1e-3f;
    }
    for (int i = 0; i < bp.length; i++) {
      bp[i] = (i % 5) * 1e-3f;
    }
    String[] names = {"microKernel (packed A)", "microKernelRowsWide (A in place)", "16 FMA chains (peak)"};
    double[][] gflops = new double[3][SLICES];
    int calls = 20_000_000 / kc;
    long chainSteps = (long) calls * kc * mr * nr / (16L * S.length());
    float sink = 0;
    for (int slice = -5; slice < SLICES; slice++) {
      for (int v = 0; v < 3; v++) {
        long t0 = System.nanoTime();
        double flops;
        if (v == 0) {
          for (int i = 0; i < calls; i++) {
            k.microKernel(kc, ap, 0, mr, bp, 0, 1e-3f, null, 0, c, 0, nr);
          }
          flops = 2.0 * calls * kc * mr * nr;
        } else if (v == 1) {
          for (int i = 0; i < calls / 2; i++) {
            k.microKernelRowsWide(kc, ap, 0, kc, bp, 0, nr * kc, 1e-3f, null, 0, c, 0, 2 * nr);
          }
          flops = 2.0 * (calls / 2) * kc * mr * 2 * nr;
        } else {
          sink += fmaChains(chainSteps, bp);
          flops = 32.0 * chainSteps * S.length();
        }
        if (slice >= 0) {
          gflops[v][slice] = flops / (System.nanoTime() - t0);
        }
      }
    }
    double peak = median(gflops[2]);
    for (int v = 0; v < 3; v++) {
      double m = median(gflops[v]);
      System.out.printf("%-34s kc=%d  median %.1f GFLOP/s  (%.0f%% of the peak's median)%n", names[v], kc, m,
          100 * m / peak);
    }
    System.out.println("(checksum " + (sink + c[0]) + ")");
  }

  private static double median(double[] x) {
    double[] s = x.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
