package io.github.recurrent4j.kernel;

/**
 * Calls every SIMD kernel directly, a few thousand times on tiny arrays, on a background daemon
 * thread started when the SIMD kernels are chosen.
 *
 * <p>Why: the JIT inlines a kernel into the method that calls it, and then the kernel's own
 * invocation counter barely moves. Where a big caller stops inlining (C2's node-count cutoff), its
 * calls go to the kernel's standalone copy, which may then stay compiled by C1 for the life of the
 * JVM, and C1 runs the Vector API through its Java fallback, boxing every vector: a streaming LSTM
 * step then allocated 12–39 KB and ran a third slower, in some JVMs and not others. Calling each
 * kernel here gets its standalone copy compiled by C2 within about a second of start-up, whatever
 * the application does. The kernels are pure functions of their arguments, so this changes no
 * result. {@code -Drecurrent4j.warmup=false} turns it off.
 */
final class JitWarmUp {
  static final int CALLS = 20_000;

  private JitWarmUp() {}

  static void start(Kernels kernels) {
    if ("false".equalsIgnoreCase(System.getProperty("recurrent4j.warmup", "true").trim())) {
      return;
    }
    Thread t = new Thread(() -> {
      try {
        run(kernels, CALLS);
      } catch (RuntimeException | LinkageError e) {
        // only a missed optimisation: the kernels themselves are tested; say it where one looks
        System.getLogger("io.github.recurrent4j").log(System.Logger.Level.DEBUG, "recurrent4j: JIT warm-up failed", e);
      }
    }, "recurrent4j-jit-warm-up");
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY);
    t.start();
  }

  /** Calls each kernel {@code calls} times on small arrays. */
  static void run(Kernels k, int calls) {
    int mr = k.mr();
    int nr = k.nr();
    int kc = 16;
    int n = 64;
    float[] x = new float[n];
    float[] y = new float[n];
    float[] z = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = 0.25f * (i % 9) - 1f;
    }
    float[] ap = new float[kc * mr];
    float[] bp = new float[2 * kc * nr];
    float[] c = new float[2 * mr * nr];
    float[] rows = new float[mr * kc];
    float[] matrix = new float[kc * n];
    float[] gates = new float[4 * n];
    float[] state = new float[n];
    double[] sums = new double[n];
    float[] products = new float[13 * n];
    float[] packed = new float[Kernels.COLUMN_BLOCK * kc];
    float[] column = new float[Kernels.COLUMN_BLOCK];
    float[] start = new float[2 * nr]; // tiles that start from a row (zeros) and ones that add to C, alternately
    for (int call = 0; call < calls; call++) {
      float[] from = call % 2 == 0 ? null : start;
      k.microKernel(kc, ap, 0, mr, bp, 0, 1f, from, 0, c, 0, nr);
      k.microKernelRows(kc, rows, 0, kc, bp, 0, 1f, from, 0, c, 0, nr);
      k.microKernelRowsWide(kc, rows, 0, kc, bp, 0, kc * nr, 1f, from, 0, c, 0, 2 * nr);
      k.rowTimesMatrix(kc, n, 1f, x, 0, matrix, 0, n, y, 0);
      k.rowDotRows(kc, 4, 1f, x, 0, matrix, 0, kc, y, 0);
      k.packedRowDots(kc, x, packed, 0, 0, 1, false, column);
      k.product(13, n - 1, 4, 1f, x, 0, 4, 1, matrix, 0, n, products, 0, n); // rows by eights, fours and ones
      k.sigmoid(x, 0, y, 0, n);
      k.tanh(x, 0, z, 0, n);
      k.relu(x, 0, z, 0, n);
      k.sigmoidBackward(y, 0, x, 0, z, 0, n);
      k.tanhBackward(y, 0, x, 0, z, 0, n);
      k.reluBackward(y, 0, x, 0, z, 0, n);
      k.softmax(x, 0, z, 0, n);
      k.logSoftmax(x, 0, z, 0, n);
      k.lstmCellForward(0, n / 4, n / 4, true, gates, 0, state, z, 0, rows, matrix, y, 0);
      k.addColumns(x, 0, n / 4, 4, n / 4, sums);
      k.lstmCellBackward(n / 4, true, gates, 0, x, y, 0, z, c, 0, matrix);
      k.gruCellBackward(n / 4, gates, gates, 0, x, 0, z, 0, matrix, rows);
    }
  }
}
