package io.github.recurrent4j.bench;

import io.github.recurrent4j.kernel.CacheLines;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * How fast one core reads a float array again and again, by the array's size: the floor under any
 * product that streams its weights, such as W5's step (1.31 MB of weights). Best of 30 batches of
 * 20 sums per size, 3 passes. The sums start on a cache line where {@link CacheLines} knows where
 * arrays lie (JDK 17-23): before it did, they started wherever the array fell, and loads that span
 * two lines made this core's L2 look half as fast as it is (see {@link LineOffsets}).
 *
 * <pre>java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes io.github.recurrent4j.bench.CacheBandwidth</pre>
 */
public final class CacheBandwidth {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int[] SIZES_KB = {32, 128, 256, 384, 512, 640, 768, 896, 1024, 1280, 1536, 2048, 4096, 16384};

  private CacheBandwidth() {}

  /** The sum of {@code a[from, from + n)} in four vector accumulators; n a multiple of four vectors. */
  static float sum(float[] a, int from, int n) {
    int l = S.length();
    FloatVector s0 = FloatVector.zero(S);
    FloatVector s1 = s0;
    FloatVector s2 = s0;
    FloatVector s3 = s0;
    for (int i = from; i < from + n; i += 4 * l) {
      s0 = s0.add(FloatVector.fromArray(S, a, i));
      s1 = s1.add(FloatVector.fromArray(S, a, i + l));
      s2 = s2.add(FloatVector.fromArray(S, a, i + 2 * l));
      s3 = s3.add(FloatVector.fromArray(S, a, i + 3 * l));
    }
    return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
  }

  public static void main(String[] args) {
    float[] a = new float[SIZES_KB[SIZES_KB.length - 1] * 256 + CacheLines.FLOATS];
    Object[] holder = {a};
    for (int i = 0; i < a.length; i++) {
      a[i] = i % 7;
    }
    float sink = 0;
    for (int pass = 1; pass <= 3; pass++) {
      StringBuilder line = new StringBuilder("pass " + pass + ", GB/s by size:");
      for (int kb : SIZES_KB) {
        int n = kb * 256;
        long best = Long.MAX_VALUE;
        for (int batch = 0; batch < 30; batch++) {
          long t0 = System.nanoTime();
          for (int i = 0; i < 20; i++) {
            sink += sum(a, CacheLines.lineStart(holder), n);
          }
          best = Math.min(best, System.nanoTime() - t0);
        }
        line.append(String.format(" %d KB %.0f;", kb, kb * 1024.0 * 20 / best));
      }
      System.out.println(line);
    }
    System.out.println("(checksum " + sink + ")");
  }
}
