package io.github.recurrent4j.bench;

import io.github.recurrent4j.kernel.CacheLines;
import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.kernel.PackedRows;
import java.util.Arrays;

/**
 * W5's gate product (1,024 rows by 320 columns, 1.31 MB of weights packed by
 * {@link Kernels#packRowsByColumn}) with the weights placed 0, 2, 4, ... 14 floats past the start of
 * a cache line, all in one array, the offsets taking turns: what a 512-bit load that spans two lines
 * costs. Needs a JDK that says where arrays lie ({@link CacheLines#known()}, JDK 17-23). Medians of
 * 15 turns of 2,000 products each, microseconds a product, on 1 thread.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes io.github.recurrent4j.bench.LineOffsets</pre>
 */
public final class LineOffsets {
  private LineOffsets() {}

  public static void main(String[] args) {
    if (!CacheLines.known()) {
      throw new IllegalStateException("this JVM does not say where arrays lie (JDK 17-23 with compressed references)");
    }
    int rows = 1024;
    int k = 320;
    float[] weights = new float[rows * k];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = (float) Math.sin(i);
    }
    PackedRows packed = Kernels.packRowsByColumn(rows, k, weights, k, 0, new float[0], 0);
    int length = rows * k;
    float[] data = new float[length + 2 * CacheLines.FLOATS];
    Object[] holder = {data};
    float[] z = new float[k];
    Arrays.fill(z, 0.01f);
    float[] sums = new float[rows];
    Kernels kernels = Kernels.active();
    int offsets = CacheLines.FLOATS / 2;
    double[][] micros = new double[offsets][15];
    for (int turn = -5; turn < 15; turn++) { // five turns of warm-up
      for (int o = 0; o < offsets; o++) {
        int start = CacheLines.lineStart(holder) + 2 * o;
        System.arraycopy(packed.data, packed.start, data, start, length);
        for (int i = 0; i < 200; i++) {
          kernels.packedRowDots(k, z, data, start, 0, rows / Kernels.COLUMN_BLOCK, i % 2 == 1, sums);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < 2000; i++) {
          kernels.packedRowDots(k, z, data, start, 0, rows / Kernels.COLUMN_BLOCK, i % 2 == 1, sums);
        }
        if (turn >= 0) {
          micros[o][turn] = (System.nanoTime() - t0) / 2000e3;
        }
      }
    }
    StringBuilder line = new StringBuilder(kernels.name() + ", µs a product by floats past a line start:");
    for (int o = 0; o < offsets; o++) {
      Arrays.sort(micros[o]);
      line.append(String.format(" %d: %.1f;", 2 * o, micros[o][7]));
    }
    System.out.println(line + " (checksum " + sums[rows - 1] + ")");
  }
}
