package io.github.recurrent4j.kernel;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.testing.KernelsUnderTest;
import io.github.recurrent4j.tensor.Tensor;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class GemmTest {
  @AfterEach
  void restoreThreads() {
    Parallel.setThreads(Runtime.getRuntime().availableProcessors());
  }

  static Stream<Kernels> kernels() {
    return KernelsUnderTest.all();
  }

  /** The naive triple loop in double: the reference every variant is held to. */
  static float[] naive(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb, float beta, float[] c0, int cOff, int ldc) {
    float[] c = c0.clone();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double sum = 0;
        for (int p = 0; p < k; p++) {
          double x = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          double y = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
          sum += x * y;
        }
        int at = cOff + i * ldc + j;
        c[at] = (float) (alpha * sum + (beta == 0f ? 0 : beta * (double) c[at]));
      }
    }
    return c;
  }

  /** Each element of an m×n matrix stored from {@code off} with row stride {@code ld} has the bits of expected's. */
  static void assertSameBits(float[] actual, float[] expected, int off, int m, int n, int ld, String what) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        int at = off + i * ld + j;
        assertThat(Float.floatToRawIntBits(actual[at])).as("%s at (%d, %d)", what, i, j)
            .isEqualTo(Float.floatToRawIntBits(expected[at]));
      }
    }
  }

  static float[] random(Rng rng, int size) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) {
      x[i] = (float) rng.nextDouble(-1, 1);
    }
    return x;
  }

  /** One random case: shapes from 1 to 70 with padding in the leading dimensions and offsets. */
  private static void randomCase(Kernels kernels, Rng rng, boolean ta, boolean tb) {
    int m = 1 + rng.nextInt(70);
    int n = 1 + rng.nextInt(70);
    int k = 1 + rng.nextInt(70);
    int lda = (ta ? m : k) + rng.nextInt(3);
    int ldb = (tb ? k : n) + rng.nextInt(3);
    int ldc = n + rng.nextInt(3);
    int aOff = rng.nextInt(4);
    int bOff = rng.nextInt(4);
    int cOff = rng.nextInt(4);
    float[] a = random(rng, aOff + (ta ? k : m) * lda);
    float[] b = random(rng, bOff + (tb ? n : k) * ldb);
    float[] c = random(rng, cOff + m * ldc);
    float alpha = rng.nextInt(4) == 0 ? 1f : (float) rng.nextDouble(-2, 2);
    float beta = new float[] {0f, 1f, 0.5f, -1.25f}[rng.nextInt(4)];
    float[] expected = naive(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    float[] actual = c.clone();
    Gemm.gemm(kernels, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, actual, cOff, ldc);
    String what = String.format("%s transA=%s transB=%s m=%d n=%d k=%d lda=%d ldb=%d ldc=%d alpha=%s beta=%s",
        kernels.name(), ta, tb, m, n, k, lda, ldb, ldc, alpha, beta);
    assertClose(what, actual, expected, 1e-5 * k, 1e-5);
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void everyTransposeVariantMatchesTheNaiveLoopOnRandomShapes(Kernels kernels) {
    Rng rng = new Rng(42);
    for (int trial = 0; trial < 150; trial++) {
      for (int variant = 0; variant < 4; variant++) {
        randomCase(kernels, rng, (variant & 1) != 0, (variant & 2) != 0);
      }
    }
  }

  /** Runs {@code check(m, n, k, transA, transB)} for every shape and all four transpose variants. */
  interface ShapeCheck {
    void run(int m, int n, int k, boolean ta, boolean tb);
  }

  static void forEachVariant(int[][] shapes, ShapeCheck check) {
    for (int[] s : shapes) {
      for (int variant = 0; variant < 4; variant++) {
        check.run(s[0], s[1], s[2], (variant & 1) != 0, (variant & 2) != 0);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void largeShapesCrossEveryBlockBoundary(Kernels kernels) {
    Rng rng = new Rng(7);
    // m > MC, n > NC, k > KC, none a multiple of the tile sizes; plus the streamed-B shape class (at most
    // STREAM_B_MAX_M rows and 8 columns per row, with transB) and both sides of its borders.
    int[][] shapes = {{101, 530, 300}, {40, 700, 270}, {200, 45, 513}, {5, 600, 257}, {64, 64, 64}, {8, 64, 40},
        {8, 63, 40}, {64, 512, 33}, {65, 600, 33}};
    forEachVariant(shapes, (m, n, k, ta, tb) -> {
      float[] a = random(rng, m * k);
      float[] b = random(rng, k * n);
      float[] c = random(rng, m * n);
      float[] expected = naive(ta, tb, m, n, k, 0.75f, a, 0, ta ? m : k, b, 0, tb ? k : n, 0.5f, c, 0, n);
      Gemm.gemm(kernels, ta, tb, m, n, k, 0.75f, a, 0, ta ? m : k, b, 0, tb ? k : n, 0.5f, c, 0, n);
      assertClose(kernels.name() + " " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb, c, expected, 1e-5 * k,
          1e-5);
    });
  }

  @Test
  void simdAndScalarAgreeWithinFloat32Tolerance() {
    Kernels simd = Kernels.simd();
    assertThat(simd).as("the test JVM runs with --add-modules jdk.incubator.vector").isNotNull();
    Rng rng = new Rng(3);
    for (int trial = 0; trial < 100; trial++) {
      int m = 1 + rng.nextInt(90);
      int n = 1 + rng.nextInt(90);
      int k = 1 + rng.nextInt(300);
      boolean ta = rng.nextInt(2) == 1;
      boolean tb = rng.nextInt(2) == 1;
      float[] a = random(rng, m * k);
      float[] b = random(rng, k * n);
      float[] viaSimd = new float[m * n];
      float[] viaScalar = new float[m * n];
      Gemm.gemm(simd, ta, tb, m, n, k, 1f, a, 0, ta ? m : k, b, 0, tb ? k : n, 0f, viaSimd, 0, n);
      Gemm.gemm(Kernels.scalar(), ta, tb, m, n, k, 1f, a, 0, ta ? m : k, b, 0, tb ? k : n, 0f, viaScalar, 0, n);
      assertClose("simd vs scalar " + m + "x" + n + "x" + k, viaSimd, viaScalar, 2e-6 * k, 1e-5);
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void resultsAreBitIdenticalForOneAndTwoThreads(Kernels kernels) {
    Rng rng = new Rng(11);
    // Big enough to run in parallel on every path: packed (split by columns and by rows), streamed B, few rows,
    // and a tall A with few columns (streamed A, formed as the transpose).
    int[][] shapes = {{300, 700, 200}, {700, 90, 300}, {32, 1024, 256}, {3, 2048, 512}, {48, 700, 300},
        {1600, 48, 512}};
    forEachVariant(shapes, (m, n, k, ta, tb) -> {
      float[] a = random(rng, m * k);
      float[] b = random(rng, k * n);
      float[] c = random(rng, m * n);
      float[] one = c.clone();
      float[] two = c.clone();
      Parallel.setThreads(1);
      Gemm.gemm(kernels, ta, tb, m, n, k, 1.5f, a, 0, ta ? m : k, b, 0, tb ? k : n, 0.25f, one, 0, n);
      Parallel.setThreads(2);
      Gemm.gemm(kernels, ta, tb, m, n, k, 1.5f, a, 0, ta ? m : k, b, 0, tb ? k : n, 0.25f, two, 0, n);
      assertThat(two).as("%s %dx%dx%d ta=%s tb=%s", kernels.name(), m, n, k, ta, tb).isEqualTo(one);
    });
  }

  @Test
  void betaZeroOverwritesNanInTheOutputAsBlasDoes() {
    float[] a = {1, 2, 3, 4};
    float[] b = {1, 0, 0, 1};
    float[] c = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
    Gemm.gemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2);
    assertThat(c).containsExactly(1, 2, 3, 4);
  }

  /**
   * Beta 0 clears each tile of C just before its first block: on every path (few rows, streamed B,
   * tall A, packed with A in place or packed, depths over one block, prepacked B) and on 1 and 2
   * threads, NaN in C is ignored and the bits are those of the same product added onto zeros.
   */
  @ParameterizedTest
  @MethodSource("kernels")
  void betaZeroGivesTheBitsOfAProductAddedOntoZerosOnEveryPath(Kernels kernels) {
    int before = Parallel.threads();
    Rng rng = new Rng(17);
    int[][] shapes = {{3, 300, 40}, {20, 400, 70}, {700, 30, 90}, {150, 100, 600}, {130, 300, 300}, {64, 64, 32},
        {9, 700, 20}};
    try {
      for (int[] shape : shapes) {
        int m = shape[0];
        int n = shape[1];
        int k = shape[2];
        for (boolean ta : new boolean[] {false, true}) {
          for (boolean tb : new boolean[] {false, true}) {
            float[] a = random(rng, m * k);
            float[] b = random(rng, k * n);
            int lda = ta ? m : k;
            int ldb = tb ? k : n;
            int ldc = n + 2;
            float[] onZeros = new float[1 + m * ldc];
            Gemm.gemm(kernels, ta, tb, m, n, k, 0.75f, a, 0, lda, b, 0, ldb, 1f, onZeros, 1, ldc);
            for (int threads = 1; threads <= 2; threads++) {
              Parallel.setThreads(threads);
              float[] c = new float[1 + m * ldc];
              java.util.Arrays.fill(c, Float.NaN);
              Gemm.gemm(kernels, ta, tb, m, n, k, 0.75f, a, 0, lda, b, 0, ldb, 0f, c, 1, ldc);
              String what = String.format("%s %dx%dx%d transA=%s transB=%s threads=%d", kernels.name(), m, n, k, ta, tb,
                  threads);
              assertSameBits(c, onZeros, 1, m, n, ldc, what);
              assertThat(c[0]).as("%s: before C", what).isNaN();
              assertThat(c[ldc]).as("%s: between rows", what).isNaN();
              if (!ta) {
                float[] viaPacked = new float[1 + m * ldc];
                java.util.Arrays.fill(viaPacked, Float.NaN);
                Gemm.gemm(m, 0.75f, a, 0, lda, Gemm.pack(kernels, tb, k, n, b, 0, ldb, null), 0f, viaPacked, 1, ldc);
                if (m > Gemm.SMALL_M) {
                  assertSameBits(viaPacked, onZeros, 1, m, n, ldc, "prepacked " + what);
                }
              }
            }
          }
        }
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  /**
   * gemmWithBias is held to the bias rows written into C and the product added by gemm with beta 1,
   * to the bit, on every path (streamed B, tall A, few rows, packed with edge tiles, more than one
   * depth block, A read in place), on 1 and 2 threads, and to the sum in double within float32
   * rounding; C outside the product is left alone and C's old contents (NaN) never read.
   */
  @ParameterizedTest
  @MethodSource("kernels")
  void aBiasFilledTileGivesTheBitsOfBiasRowsPlusTheProduct(Kernels kernels) {
    Rng rng = new Rng(23);
    int[][] shapes = {{3, 300, 40}, {20, 400, 70}, {700, 30, 90}, {150, 100, 600}, {130, 300, 300}, {64, 64, 32},
        {9, 700, 20}, {2048, 384, 128}, {97, 131, 257}, {33, 64, 5}, {40, 1, 3}, {1, 1, 1}, {5, 7, 0}};
    for (int[] shape : shapes) {
      int m = shape[0];
      int n = shape[1];
      int k = shape[2];
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          float[] a = random(rng, Math.max(1, m * k));
          float[] b = random(rng, Math.max(1, k * n));
          float[] bias = random(rng, n + 3);
          int lda = Math.max(1, ta ? m : k);
          int ldb = Math.max(1, tb ? k : n);
          int ldc = n + 2;
          float alpha = k == 5 ? 0f : 0.75f; // one shape with alpha 0: the bias rows alone
          float[] expected = new float[1 + m * ldc];
          java.util.Arrays.fill(expected, Float.NaN);
          for (int i = 0; i < m; i++) {
            System.arraycopy(bias, 3, expected, 1 + i * ldc, n);
          }
          Gemm.gemm(kernels, ta, tb, m, n, k, alpha, a, 0, lda, b, 0, ldb, 1f, expected, 1, ldc);
          float[] zeros = new float[1 + m * ldc];
          float[] inDouble = naive(ta, tb, m, n, k, alpha, a, 0, lda, b, 0, ldb, 0f, zeros, 1, ldc);
          for (int threads = 1; threads <= 2; threads++) {
            Parallel.setThreads(threads);
            float[] c = new float[1 + m * ldc];
            java.util.Arrays.fill(c, Float.NaN);
            Gemm.gemmWithBias(kernels, ta, tb, m, n, k, alpha, a, 0, lda, b, 0, ldb, bias, 3, c, 1, ldc);
            String what = String.format("%s %dx%dx%d transA=%s transB=%s threads=%d", kernels.name(), m, n, k, ta, tb,
                threads);
            assertSameBits(c, expected, 1, m, n, ldc, what);
            for (int i = 0; i < m; i++) {
              for (int j = 0; j < n; j++) {
                int at = 1 + i * ldc + j;
                assertThat((double) c[at]).as("%s at (%d, %d), against the sum in double", what, i, j)
                    .isCloseTo(bias[3 + j] + (double) inDouble[at], Offset.offset(1e-4 * (1 + k)));
              }
            }
            assertThat(c[0]).as("%s: before C", what).isNaN();
            if (m > 1) {
              assertThat(c[1 + n]).as("%s: between rows", what).isNaN();
            }
          }
        }
      }
    }
  }

  /**
   * A stored transposed (read in place by the micro-kernel, its last partial panel packed) gives the
   * bits of the same A stored untransposed, on every path past the few-rows one, for shapes on both
   * sides of the tile and block edges, on 1 and 2 threads.
   */
  @ParameterizedTest
  @MethodSource("kernels")
  void aTransposedAGivesTheBitsOfTheSameAStoredUntransposed(Kernels kernels) {
    Rng rng = new Rng(29);
    // widths of two, three (a last odd panel) and four panels, and partial ones, read in place untransposed
    int[][] shapes = {{384, 128, 2048}, {128, 128, 600}, {97, 131, 257}, {9, 700, 20}, {700, 30, 90}, {13, 40, 5},
        {200, 64, 300}, {50, 96, 70}, {41, 80, 33}};
    for (int[] shape : shapes) {
      int m = shape[0];
      int n = shape[1];
      int k = shape[2];
      for (boolean tb : new boolean[] {false, true}) {
        int lda = k + 3;
        int ldt = m + 5; // the transposed copy's leading dimension
        float[] a = random(rng, 2 + m * lda);
        float[] at = new float[1 + k * ldt];
        for (int i = 0; i < m; i++) {
          for (int p = 0; p < k; p++) {
            at[1 + p * ldt + i] = a[2 + i * lda + p];
          }
        }
        float[] b = random(rng, k * n);
        int ldb = tb ? k : n;
        float[] c0 = random(rng, m * n);
        float[] expected = c0.clone();
        Gemm.gemm(kernels, false, tb, m, n, k, 0.5f, a, 2, lda, b, 0, ldb, 1f, expected, 0, n);
        for (int threads = 1; threads <= 2; threads++) {
          Parallel.setThreads(threads);
          float[] c = c0.clone();
          Gemm.gemm(kernels, true, tb, m, n, k, 0.5f, at, 1, ldt, b, 0, ldb, 1f, c, 0, n);
          assertSameBits(c, expected, 0, m, n, n,
              String.format("%s %dx%dx%d transB=%s threads=%d", kernels.name(), m, n, k, tb, threads));
        }
      }
    }
  }

  @Test
  void aBiasedProductChecksItsBias() {
    float[] a = new float[6];
    float[] b = new float[6];
    float[] c = new float[4];
    assertThatThrownBy(() -> Gemm.gemmWithBias(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, null, 0, c, 0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm: the bias must not be null (use gemm with beta 0 for none)");
    assertThatThrownBy(() -> Gemm.gemmWithBias(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, new float[3], 2, c, 0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm: the bias needs 2 elements from offset 2 but the array has 3");
    float[] shared = new float[8];
    assertThatThrownBy(() -> Gemm.gemmWithBias(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, shared, 3, shared, 0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm: C overlaps the bias in the same array; the output must not alias an input");
    Gemm.gemmWithBias(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, shared, 6, shared, 0, 2); // beside it: fine
    assertThatThrownBy(() -> Gemm.gemmWithBias(false, false, 2, 2, 3, 1f, a, 0, 2, b, 0, 2, new float[2], 0, c, 0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm: leading dimension of A must be >= 3 (its stored row length), got 2");
  }

  @Test
  void zeroDepthScalesByBetaOnly() {
    float[] c = {1, 2, 3, 4};
    Gemm.gemm(false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[0], 0, 2, 3f, c, 0, 2);
    assertThat(c).containsExactly(3, 6, 9, 12);
  }

  @Test
  void badArgumentsAreRejectedWithTheirReason() {
    float[] a = new float[6];
    float[] b = new float[6];
    float[] c = new float[4];
    assertThatThrownBy(() -> Gemm.gemm(false, false, -1, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("Gemm: sizes must be >= 0, got m=-1, n=2, k=3");
    assertThatThrownBy(() -> Gemm.gemm(false, false, 2, 2, 3, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm: leading dimension of A must be >= 3 (its stored row length), got 2");
    assertThatThrownBy(() -> Gemm.gemm(false, false, 2, 2, 3, 1f, a, 1, 3, b, 0, 2, 0f, c, 0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm: A stored as [2, 3] with offset 1 and leading dimension 3 needs 7 elements but the array has 6");
    assertThatThrownBy(() -> Gemm.gemm(false, true, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm: leading dimension of B must be >= 3 (its stored row length), got 2");
    assertThatThrownBy(() -> Gemm.gemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, -1, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("Gemm: offset of C must be >= 0, got -1");
    assertThatThrownBy(() -> Gemm.gemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, null, 0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm: arrays must not be null (a=ok, b=ok, c=null)");
    float[] shared = new float[16];
    assertThatThrownBy(() -> Gemm.gemm(false, false, 2, 2, 2, 1f, shared, 0, 2, b, 0, 2, 0f, shared, 2, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm: C overlaps A in the same array; the output must not alias an input");
  }

  @Test
  void matmulOfTensorsChecksInnerDimensions() {
    Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor b = Tensor.of(new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
    assertThat(Gemm.matmul(a, false, b, false).data()).containsExactly(4, 5, 10, 11);
    assertThat(Gemm.matmul(a, true, a, false).shape()).containsExactly(3, 3);
    assertThatThrownBy(() -> Gemm.matmul(a, false, a, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm.matmul: inner dimensions differ: op(a) is [2, 3] and op(b) is [2, 3]");
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void resultsDoNotChangeAsTheJitCompilesTheKernels(Kernels kernels) {
    // Small shapes so that thousands of calls are cheap: the row, streamed and packed paths.
    Rng rng = new Rng(12);
    int[][] shapes = {{2, 40, 37, 1}, {2, 40, 37, 0}, {9, 80, 21, 1}, {9, 30, 21, 1}, {13, 9, 21, 0}};
    for (int[] s : shapes) {
      int m = s[0];
      int n = s[1];
      int k = s[2];
      boolean tb = s[3] == 1;
      float[] a = random(rng, m * k);
      float[] b = random(rng, k * n);
      float[] first = new float[m * n];
      float[] again = new float[m * n];
      Gemm.gemm(kernels, false, tb, m, n, k, 1f, a, 0, k, b, 0, tb ? k : n, 0f, first, 0, n);
      for (int round = 1; round < 5_000; round++) {
        Gemm.gemm(kernels, false, tb, m, n, k, 1f, a, 0, k, b, 0, tb ? k : n, 0f, again, 0, n);
        if (!java.util.Arrays.equals(first, again)) {
          throw new AssertionError(kernels.name() + " " + m + "x" + n + "x" + k + " tb=" + tb + ": round " + round
              + " differs from round 0");
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void aPrepackedBGivesTheBitsOfThePlainCall(Kernels kernels) {
    Rng rng = new Rng(13);
    // an RNN step's h·W_hhᵀ and dh·W_hh, a depth over KC, widths off the panel size, a width over NC, and one
    // above PREPACKED_PARALLEL_THRESHOLD (split across threads)
    int[][] shapes = {{32, 512, 128}, {32, 128, 512}, {5, 100, 300}, {33, 70, 257}, {64, 1030, 40}, {100, 33, 8},
        {66, 1100, 100}};
    int before = Parallel.threads();
    try {
      for (int[] shape : shapes) {
        int m = shape[0];
        int n = shape[1];
        int k = shape[2];
        for (boolean tb : new boolean[] {false, true}) {
          float[] a = random(rng, m * k);
          float[] b = random(rng, k * n);
          Gemm.PackedB packed = Gemm.pack(kernels, tb, k, n, b, 0, tb ? k : n, null);
          assertThat(Gemm.pack(kernels, tb, k, n, b, 0, tb ? k : n, packed)).as("same shape: storage reused")
              .isSameAs(packed);
          for (float beta : new float[] {0f, 1f, 0.5f}) {
            float[] c = random(rng, m * n);
            float[] plain = c.clone();
            Gemm.gemm(kernels, false, tb, m, n, k, 0.75f, a, 0, k, b, 0, tb ? k : n, beta, plain, 0, n);
            for (int threads = 1; threads <= 2; threads++) {
              Parallel.setThreads(threads);
              float[] viaPacked = c.clone();
              Gemm.gemm(m, 0.75f, a, 0, k, packed, beta, viaPacked, 0, n);
              assertThat(viaPacked).as("%s %dx%dx%d tb=%s beta=%s threads=%d", kernels.name(), m, n, k, tb, beta,
                  threads).isEqualTo(plain);
            }
          }
        }
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  /**
   * A micro-kernel told to start its tile from a row gives the bits it gives adding into a C whose
   * rows hold that row, and never reads C's old contents (NaN here).
   */
  @ParameterizedTest
  @MethodSource("kernels")
  void aTileStartedFromARowGivesTheBitsOfThatRowHeldInC(Kernels kernels) {
    int mr = kernels.mr();
    int nr = kernels.nr();
    int kc = 37;
    Rng rng = new Rng(23);
    float[] ap = random(rng, kc * mr);
    float[] bp = random(rng, 2 * kc * nr);
    float[] rows = random(rng, mr * kc);
    float[] start = random(rng, 3 + 2 * nr);
    start[3] = -0f; // a negative zero plus the product keeps its bits too
    for (int kernel = 0; kernel < 3; kernel++) {
      int width = kernel == 2 ? 2 * nr : nr;
      float[] held = new float[mr * width];
      float[] started = new float[mr * width];
      java.util.Arrays.fill(started, Float.NaN);
      for (int r = 0; r < mr; r++) {
        System.arraycopy(start, 3, held, r * width, width);
      }
      for (int pass = 0; pass < 2; pass++) {
        float[] from = pass == 0 ? null : start;
        float[] c = pass == 0 ? held : started;
        switch (kernel) {
          case 0 -> kernels.microKernel(kc, ap, 0, mr, bp, 0, 0.5f, from, 3, c, 0, width);
          case 1 -> kernels.microKernelRows(kc, rows, 0, kc, bp, 0, 0.5f, from, 3, c, 0, width);
          default -> kernels.microKernelRowsWide(kc, rows, 0, kc, bp, 0, kc * nr, 0.5f, from, 3, c, 0, width);
        }
      }
      assertSameBits(started, held, 0, mr, width, width, kernels.name() + " kernel " + kernel);
    }
  }

  @Test
  void aPrepackedProductChecksItsArguments() {
    Gemm.PackedB packed = Gemm.pack(false, 3, 4, new float[12], 0, 4, null);
    assertThat(packed.k()).isEqualTo(3);
    assertThat(packed.n()).isEqualTo(4);
    assertThatThrownBy(() -> Gemm.gemm(2, 1f, new float[6], 0, 3, null, 0f, new float[8], 0, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm: the packed B must not be null");
    assertThatThrownBy(() -> Gemm.gemm(2, 1f, new float[5], 0, 3, packed, 0f, new float[8], 0, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm: A stored as [2, 3] with offset 0 and leading dimension 3 needs 6 elements but the array has 5");
    assertThatThrownBy(() -> Gemm.pack(false, 3, 4, new float[11], 0, 4, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Gemm: B stored as [3, 4] with offset 0 and leading dimension 4 needs 12 elements but the array has 11");
  }

  /**
   * A stream step's gate products: packRowsByColumn then packedRowDots give, for every row of the
   * concatenated matrix {@code [b1 b2]}, the dot product with z as one chain of fused multiply-adds
   * in column order (held here to that chain written out with Math.fma, bit for bit, and to the sum
   * in double), for any range of blocks in either direction; the padding rows of the last block sum
   * to zero. Row counts on both sides of a block, parts of either width zero, padded row strides.
   */
  @ParameterizedTest
  @MethodSource("kernels")
  void packedRowDotsAreTheDotProductsOfTheConcatenatedRows(Kernels kernels) {
    Rng rng = new Rng(31);
    int bw = Kernels.COLUMN_BLOCK;
    for (int[] shape : new int[][] {{1, 64, 256}, {1024, 64, 256}, {300, 7, 33}, {128, 0, 45}, {129, 19, 0},
        {5, 1, 1}}) {
      int n = shape[0];
      int k1 = shape[1];
      int k2 = shape[2];
      int k = k1 + k2;
      int ldb1 = k1 + 2;
      int ldb2 = k2 + 3;
      float[] b1 = random(rng, n * ldb1);
      float[] b2 = random(rng, n * ldb2);
      float[] z = random(rng, k);
      PackedRows packed = Kernels.packRowsByColumn(n, k1, b1, ldb1, k2, b2, ldb2);
      int blocks = (n + bw - 1) / bw;
      assertThat(packed.data.length - packed.start).isBetween(blocks * bw * k, blocks * bw * k + 15);
      String what = kernels.name() + " n=" + n + " k1=" + k1 + " k2=" + k2;
      for (boolean reverse : new boolean[] {false, true}) {
        float[] sums = random(rng, blocks * bw); // every element is overwritten
        kernels.packedRowDots(k, z, packed.data, packed.start, 0, blocks, reverse, sums);
        for (int j = 0; j < blocks * bw; j++) {
          float chain = 0f;
          double exact = 0;
          for (int p = 0; p < k && j < n; p++) {
            float w = p < k1 ? b1[j * ldb1 + p] : b2[j * ldb2 + p - k1];
            chain = Math.fma(z[p], w, chain);
            exact += (double) z[p] * w;
          }
          assertThat(sums[j]).as("%s reverse=%b row %d", what, reverse, j).isEqualTo(chain);
          assertThat((double) sums[j]).as("%s row %d in double", what, j)
              .isCloseTo(exact, org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.sqrt(k))));
        }
      }
      if (blocks > 1) { // a range of blocks touches only its own rows
        float[] sums = new float[blocks * bw];
        java.util.Arrays.fill(sums, 7f);
        kernels.packedRowDots(k, z, packed.data, packed.start, 1, blocks, true, sums);
        for (int j = 0; j < bw; j++) {
          assertThat(sums[j]).as("%s row %d outside the range", what, j).isEqualTo(7f);
        }
      }
    }
  }

  /**
   * The small product of attention's heads: A read by rows or transposed, with offsets and padded
   * strides, every shape class of the SIMD kernel (rows in eights, fours and alone; columns in fours
   * and pairs of vectors, single vectors and a scalar tail; a transposed A's eight rows from one
   * offset). SIMD gives the scalar kernel's bits, the scalar one is the naive product in double
   * (which also holds every element of C outside the product unchanged).
   */
  @Test
  void productAgreesAcrossKernelsToTheBitAndWithTheNaiveProduct() {
    Rng rng = new Rng(21);
    for (int trial = 0; trial < 200; trial++) {
      int m = rng.nextInt(20);
      int n = trial < 20 ? 64 + rng.nextInt(6) : rng.nextInt(70);
      int k = rng.nextInt(40);
      boolean transposedA = trial % 2 == 1;
      boolean strided = trial % 6 == 4; // neither of A's strides 1: rows and depths both spaced out
      int aOff = rng.nextInt(4);
      int lda = (transposedA ? m : k) + rng.nextInt(3);
      int aRow = transposedA ? 1 : lda;
      int aDepth = transposedA ? lda : 1;
      if (strided) {
        aDepth = 2;
        aRow = 2 * k + 1;
        lda = aRow; // the array's size below: m rows of aRow
      }
      int bOff = rng.nextInt(4);
      int ldb = n + rng.nextInt(3);
      int cOff = rng.nextInt(4);
      int ldc = n + rng.nextInt(3);
      float alpha = trial % 3 == 0 ? 1f : (float) rng.nextDouble(-2, 2);
      float[] a = random(rng, aOff + lda * (transposedA ? k : m) + 1);
      float[] b = random(rng, bOff + ldb * k + 1);
      float[] cIn = random(rng, cOff + ldc * m + 1);
      float[] scalar = cIn.clone();
      Kernels.scalar().product(m, n, k, alpha, a, aOff, aRow, aDepth, b, bOff, ldb, scalar, cOff, ldc);
      float[] expected = strided ? stridedProduct(m, n, k, alpha, a, aOff, aRow, aDepth, b, bOff, ldb, cIn, cOff, ldc)
          : naive(transposedA, false, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, 0f, cIn, cOff, ldc);
      String what = "m=" + m + " n=" + n + " k=" + k + " transposedA=" + transposedA + " strided=" + strided;
      assertClose("scalar product " + what, scalar, expected, 1e-5, 1e-5);
      if (Kernels.simd() != null) {
        float[] simd = cIn.clone();
        Kernels.simd().product(m, n, k, alpha, a, aOff, aRow, aDepth, b, bOff, ldb, simd, cOff, ldc);
        assertThat(simd).as("simd product, %s", what).containsExactly(scalar);
      }
    }
  }

  /** {@code alpha·A·B} into a copy of {@code c}, A at {@code a[aOff + i*aRow + p*aDepth]}, summed in double. */
  private static float[] stridedProduct(int m, int n, int k, float alpha, float[] a, int aOff, int aRow, int aDepth,
      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    float[] out = c.clone();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double sum = 0;
        for (int p = 0; p < k; p++) {
          sum += (double) a[aOff + i * aRow + p * aDepth] * b[bOff + p * ldb + j];
        }
        out[cOff + i * ldc + j] = (float) (alpha * sum);
      }
    }
    return out;
  }
}
