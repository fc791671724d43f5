package io.github.recurrent4j.kernel.simd;

import io.github.recurrent4j.kernel.FloatMath;
import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.kernel.ScalarKernels;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD kernels on {@code jdk.incubator.vector}, the only package that imports it. Each method has
 * a scalar twin in {@link io.github.recurrent4j.kernel.ScalarKernels} with the same contract;
 * tails shorter than a vector run the same arithmetic lane by lane.
 *
 * <p>Determinism: only lane-wise IEEE operations and FMAs are used, which give the same bits
 * compiled or interpreted. The JDK's vector EXP/TANH and floating-point {@code reduceLanes(ADD)}
 * are avoided, since an intrinsic and its fallback may round differently: exp and tanh repeat
 * {@link FloatMath} step by step, and lane sums are added in lane order.
 *
 * <p>Vectors are never passed to helper methods: a {@code FloatVector} argument of a method that
 * is not inlined is boxed, which costs 5× in the GEMM micro-kernel.
 *
 * <p>Loaded reflectively, and only when the JVM has the module, so the rest of the library never
 * links against the incubator API.
 */
public final class VectorKernels implements Kernels {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** The micro-tile is MR × NR = 8 rows × 2 vectors: 16 accumulators in registers. */
  private static final int MR = 8;
  private static final int NR = 2 * L;
  private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
  /**
   * Doubles of the same vector size, for sums in double: a float vector converts into two of them.
   * (Not a float species of half the size: a second FloatVector shape in the JVM made C2 give up
   * intrinsifying the other kernels, which then boxed every vector.)
   */
  private static final VectorSpecies<Double> SD = DoubleVector.SPECIES_PREFERRED;
  /** The rows {@link #softmaxRows} takes a step at a time, and its scratch of one float per row. */
  private static final int ROW_GROUP = 16;
  private static final ThreadLocal<float[]> ROW_SCRATCH = ThreadLocal.withInitial(() -> new float[ROW_GROUP]);
  private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[4 * L]);
  // The lane masks and swaps of rowDotRows' reduction tree (used when L == 16), and treeSum's swaps:
  // bit k of the lane index.
  private static final VectorMask<Float> BIT0 = VectorMask.fromLong(S, 0xAAAAL);
  private static final VectorMask<Float> BIT1 = VectorMask.fromLong(S, 0xCCCCL);
  private static final VectorMask<Float> BIT2 = VectorMask.fromLong(S, 0xF0F0L);
  private static final VectorMask<Float> BIT3 = VectorMask.fromLong(S, 0xFF00L);
  private static final VectorShuffle<Float> SWAP0 = VectorShuffle.fromOp(S, i -> (i ^ 1) % L);
  private static final VectorShuffle<Float> SWAP1 = VectorShuffle.fromOp(S, i -> (i ^ 2) % L);
  private static final VectorShuffle<Float> SWAP2 = VectorShuffle.fromOp(S, i -> (i ^ 4) % L);
  private static final VectorShuffle<Float> SWAP3 = VectorShuffle.fromOp(S, i -> (i ^ 8) % L);
  // FloatMath's constants: exp's polynomial, then tanh's series
  private static final float EXP_LOW = FloatMath.EXP_LOW;
  private static final float EXP_HIGH = FloatMath.EXP_HIGH;
  private static final float LOG2E = FloatMath.LOG2E;
  private static final float ROUNDER = FloatMath.ROUNDER;
  private static final FloatVector NEG_LN2_HI = FloatVector.broadcast(S, -FloatMath.LN2_HI);
  private static final FloatVector NEG_LN2_LO = FloatVector.broadcast(S, -FloatMath.LN2_LO);
  private static final FloatVector E2 = FloatVector.broadcast(S, FloatMath.E2);
  private static final FloatVector E3 = FloatVector.broadcast(S, FloatMath.E3);
  private static final FloatVector E4 = FloatVector.broadcast(S, FloatMath.E4);
  private static final FloatVector E5 = FloatVector.broadcast(S, FloatMath.E5);
  private static final FloatVector E6 = FloatVector.broadcast(S, FloatMath.E6);
  private static final FloatVector E7 = FloatVector.broadcast(S, FloatMath.E7);
  private static final FloatVector T1 = FloatVector.broadcast(S, FloatMath.T1);
  private static final FloatVector T2 = FloatVector.broadcast(S, FloatMath.T2);
  private static final FloatVector T3 = FloatVector.broadcast(S, FloatMath.T3);
  private static final FloatVector T4 = FloatVector.broadcast(S, FloatMath.T4);
  private static final FloatVector T5 = FloatVector.broadcast(S, FloatMath.T5);
  private static final FloatVector T6 = FloatVector.broadcast(S, FloatMath.T6);
  private static final FloatVector T7 = FloatVector.broadcast(S, FloatMath.T7);
  private static final FloatVector T8 = FloatVector.broadcast(S, FloatMath.T8);
  private static final FloatVector T9 = FloatVector.broadcast(S, FloatMath.T9);

  @Override
  public String name() {
    return "simd-" + S.vectorBitSize();
  }

  @Override
  public int mr() {
    return MR;
  }

  @Override
  public int nr() {
    return NR;
  }

  @Override
  public void microKernel(int kc, float[] ap, int apOff, int aStep, float[] bp, int bpOff, float alpha, float[] start,
      int startOff, float[] c, int cOff, int ldc) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c60 = c00;
    FloatVector c61 = c00;
    FloatVector c70 = c00;
    FloatVector c71 = c00;
    int pa = apOff;
    int pb = bpOff;
    for (int p = 0; p < kc; p++, pa += aStep, pb += NR) {
      FloatVector b0 = FloatVector.fromArray(S, bp, pb);
      FloatVector b1 = FloatVector.fromArray(S, bp, pb + L);
      FloatVector x = FloatVector.broadcast(S, ap[pa]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, ap[pa + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, ap[pa + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, ap[pa + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, ap[pa + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, ap[pa + 5]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
      x = FloatVector.broadcast(S, ap[pa + 6]);
      c60 = x.fma(b0, c60);
      c61 = x.fma(b1, c61);
      x = FloatVector.broadcast(S, ap[pa + 7]);
      c70 = x.fma(b0, c70);
      c71 = x.fma(b1, c71);
    }
    FloatVector al = FloatVector.broadcast(S, alpha);
    // each row starts from its row of C, or from start's one row (step 0)
    float[] from = start != null ? start : c;
    int fStep = start != null ? 0 : ldc;
    int r0 = cOff;
    int f0 = start != null ? startOff : cOff;
    c00.mul(al).add(FloatVector.fromArray(S, from, f0)).intoArray(c, r0);
    c01.mul(al).add(FloatVector.fromArray(S, from, f0 + L)).intoArray(c, r0 + L);
    int r1 = r0 + ldc;
    int f1 = f0 + fStep;
    c10.mul(al).add(FloatVector.fromArray(S, from, f1)).intoArray(c, r1);
    c11.mul(al).add(FloatVector.fromArray(S, from, f1 + L)).intoArray(c, r1 + L);
    int r2 = r1 + ldc;
    int f2 = f1 + fStep;
    c20.mul(al).add(FloatVector.fromArray(S, from, f2)).intoArray(c, r2);
    c21.mul(al).add(FloatVector.fromArray(S, from, f2 + L)).intoArray(c, r2 + L);
    int r3 = r2 + ldc;
    int f3 = f2 + fStep;
    c30.mul(al).add(FloatVector.fromArray(S, from, f3)).intoArray(c, r3);
    c31.mul(al).add(FloatVector.fromArray(S, from, f3 + L)).intoArray(c, r3 + L);
    int r4 = r3 + ldc;
    int f4 = f3 + fStep;
    c40.mul(al).add(FloatVector.fromArray(S, from, f4)).intoArray(c, r4);
    c41.mul(al).add(FloatVector.fromArray(S, from, f4 + L)).intoArray(c, r4 + L);
    int r5 = r4 + ldc;
    int f5 = f4 + fStep;
    c50.mul(al).add(FloatVector.fromArray(S, from, f5)).intoArray(c, r5);
    c51.mul(al).add(FloatVector.fromArray(S, from, f5 + L)).intoArray(c, r5 + L);
    int r6 = r5 + ldc;
    int f6 = f5 + fStep;
    c60.mul(al).add(FloatVector.fromArray(S, from, f6)).intoArray(c, r6);
    c61.mul(al).add(FloatVector.fromArray(S, from, f6 + L)).intoArray(c, r6 + L);
    int r7 = r6 + ldc;
    int f7 = f6 + fStep;
    c70.mul(al).add(FloatVector.fromArray(S, from, f7)).intoArray(c, r7);
    c71.mul(al).add(FloatVector.fromArray(S, from, f7 + L)).intoArray(c, r7 + L);
  }

  /*
   * microKernelRows reads A's rows in place, each a stream of its own, where microKernel reads one
   * packed stream. With eight row offsets live in its loop, an eight-row kernel left C2 short of
   * general registers: in about half of the JVMs it kept the B offset in a vector register, moved
   * across at every step, and ran at 105-135 GFLOP/s instead of 195-215 (measured on a tile in L1
   * cache, one JVM at a time). microKernelRowsWide, four rows by four vectors (two panels of B),
   * keeps the same sixteen accumulators with four row offsets and ran at 200-215 in every JVM; the
   * eight-row kernel below is left for a last odd panel.
   */
  @Override
  public void microKernelRowsWide(int kc, float[] a, int aOff, int lda, float[] bp, int bpOff0, int bpOff1,
      float alpha, float[] start, int startOff, float[] c, int cOff, int ldc) {
    rows4x4(kc, a, aOff, lda, bp, bpOff0, bpOff1, alpha, start, startOff, c, cOff, ldc);
    rows4x4(kc, a, aOff + 4 * lda, lda, bp, bpOff0, bpOff1, alpha, start, startOff, c, cOff + 4 * ldc, ldc);
  }

  @Override
  public void microKernelRows(int kc, float[] a, int aOff, int lda, float[] bp, int bpOff, float alpha, float[] start,
      int startOff, float[] c, int cOff, int ldc) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c60 = c00;
    FloatVector c61 = c00;
    FloatVector c70 = c00;
    FloatVector c71 = c00;
    int a0 = aOff;
    int a1 = a0 + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    int a4 = a3 + lda;
    int a5 = a4 + lda;
    int a6 = a5 + lda;
    int a7 = a6 + lda;
    int pb = bpOff;
    for (int p = 0; p < kc; p++, pb += NR) {
      FloatVector b0 = FloatVector.fromArray(S, bp, pb);
      FloatVector b1 = FloatVector.fromArray(S, bp, pb + L);
      FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[a1 + p]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[a2 + p]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[a3 + p]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[a4 + p]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[a5 + p]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
      x = FloatVector.broadcast(S, a[a6 + p]);
      c60 = x.fma(b0, c60);
      c61 = x.fma(b1, c61);
      x = FloatVector.broadcast(S, a[a7 + p]);
      c70 = x.fma(b0, c70);
      c71 = x.fma(b1, c71);
    }
    FloatVector al = FloatVector.broadcast(S, alpha);
    // each row starts from its row of C, or from start's one row (step 0)
    float[] from = start != null ? start : c;
    int fStep = start != null ? 0 : ldc;
    int r0 = cOff;
    int f0 = start != null ? startOff : cOff;
    c00.mul(al).add(FloatVector.fromArray(S, from, f0)).intoArray(c, r0);
    c01.mul(al).add(FloatVector.fromArray(S, from, f0 + L)).intoArray(c, r0 + L);
    int r1 = r0 + ldc;
    int f1 = f0 + fStep;
    c10.mul(al).add(FloatVector.fromArray(S, from, f1)).intoArray(c, r1);
    c11.mul(al).add(FloatVector.fromArray(S, from, f1 + L)).intoArray(c, r1 + L);
    int r2 = r1 + ldc;
    int f2 = f1 + fStep;
    c20.mul(al).add(FloatVector.fromArray(S, from, f2)).intoArray(c, r2);
    c21.mul(al).add(FloatVector.fromArray(S, from, f2 + L)).intoArray(c, r2 + L);
    int r3 = r2 + ldc;
    int f3 = f2 + fStep;
    c30.mul(al).add(FloatVector.fromArray(S, from, f3)).intoArray(c, r3);
    c31.mul(al).add(FloatVector.fromArray(S, from, f3 + L)).intoArray(c, r3 + L);
    int r4 = r3 + ldc;
    int f4 = f3 + fStep;
    c40.mul(al).add(FloatVector.fromArray(S, from, f4)).intoArray(c, r4);
    c41.mul(al).add(FloatVector.fromArray(S, from, f4 + L)).intoArray(c, r4 + L);
    int r5 = r4 + ldc;
    int f5 = f4 + fStep;
    c50.mul(al).add(FloatVector.fromArray(S, from, f5)).intoArray(c, r5);
    c51.mul(al).add(FloatVector.fromArray(S, from, f5 + L)).intoArray(c, r5 + L);
    int r6 = r5 + ldc;
    int f6 = f5 + fStep;
    c60.mul(al).add(FloatVector.fromArray(S, from, f6)).intoArray(c, r6);
    c61.mul(al).add(FloatVector.fromArray(S, from, f6 + L)).intoArray(c, r6 + L);
    int r7 = r6 + ldc;
    int f7 = f6 + fStep;
    c70.mul(al).add(FloatVector.fromArray(S, from, f7)).intoArray(c, r7);
    c71.mul(al).add(FloatVector.fromArray(S, from, f7 + L)).intoArray(c, r7 + L);
  }

  /**
   * Four rows of {@link #microKernelRowsWide}: {@code c[r, j] += alpha * Σ_p a[r, p] * b[p, j]} for
   * {@code r < 4}, {@code j < 2·NR}.
   */
  private static void rows4x4(int kc, float[] a, int aOff, int lda, float[] bp, int bpOff0, int bpOff1, float alpha,
      float[] start, int startOff, float[] c, int cOff, int ldc) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c02 = c00;
    FloatVector c03 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c12 = c00;
    FloatVector c13 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c22 = c00;
    FloatVector c23 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c32 = c00;
    FloatVector c33 = c00;
    int a0 = aOff;
    int a1 = a0 + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    for (int p = 0; p < kc; p++) {
      int q = p * NR;
      FloatVector b0 = FloatVector.fromArray(S, bp, bpOff0 + q);
      FloatVector b1 = FloatVector.fromArray(S, bp, bpOff0 + q + L);
      FloatVector b2 = FloatVector.fromArray(S, bp, bpOff1 + q);
      FloatVector b3 = FloatVector.fromArray(S, bp, bpOff1 + q + L);
      FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      c02 = x.fma(b2, c02);
      c03 = x.fma(b3, c03);
      x = FloatVector.broadcast(S, a[a1 + p]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      c12 = x.fma(b2, c12);
      c13 = x.fma(b3, c13);
      x = FloatVector.broadcast(S, a[a2 + p]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      c22 = x.fma(b2, c22);
      c23 = x.fma(b3, c23);
      x = FloatVector.broadcast(S, a[a3 + p]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      c32 = x.fma(b2, c32);
      c33 = x.fma(b3, c33);
    }
    FloatVector al = FloatVector.broadcast(S, alpha);
    // each row starts from its row of C, or from start's one row (step 0)
    float[] from = start != null ? start : c;
    int fStep = start != null ? 0 : ldc;
    int r = cOff;
    int f = start != null ? startOff : cOff;
    c00.mul(al).add(FloatVector.fromArray(S, from, f)).intoArray(c, r);
    c01.mul(al).add(FloatVector.fromArray(S, from, f + L)).intoArray(c, r + L);
    c02.mul(al).add(FloatVector.fromArray(S, from, f + 2 * L)).intoArray(c, r + 2 * L);
    c03.mul(al).add(FloatVector.fromArray(S, from, f + 3 * L)).intoArray(c, r + 3 * L);
    r += ldc;
    f += fStep;
    c10.mul(al).add(FloatVector.fromArray(S, from, f)).intoArray(c, r);
    c11.mul(al).add(FloatVector.fromArray(S, from, f + L)).intoArray(c, r + L);
    c12.mul(al).add(FloatVector.fromArray(S, from, f + 2 * L)).intoArray(c, r + 2 * L);
    c13.mul(al).add(FloatVector.fromArray(S, from, f + 3 * L)).intoArray(c, r + 3 * L);
    r += ldc;
    f += fStep;
    c20.mul(al).add(FloatVector.fromArray(S, from, f)).intoArray(c, r);
    c21.mul(al).add(FloatVector.fromArray(S, from, f + L)).intoArray(c, r + L);
    c22.mul(al).add(FloatVector.fromArray(S, from, f + 2 * L)).intoArray(c, r + 2 * L);
    c23.mul(al).add(FloatVector.fromArray(S, from, f + 3 * L)).intoArray(c, r + 3 * L);
    r += ldc;
    f += fStep;
    c30.mul(al).add(FloatVector.fromArray(S, from, f)).intoArray(c, r);
    c31.mul(al).add(FloatVector.fromArray(S, from, f + L)).intoArray(c, r + L);
    c32.mul(al).add(FloatVector.fromArray(S, from, f + 2 * L)).intoArray(c, r + 2 * L);
    c33.mul(al).add(FloatVector.fromArray(S, from, f + 3 * L)).intoArray(c, r + 3 * L);
  }

  /*
   * product: eight rows at a time by two vectors of columns (sixteen accumulators), four rows by one
   * vector for what is left of them, the last rows one at a time. The columns past the last whole
   * vector go to the scalar twin, which forms them with the same operations.
   */
  @Override
  public void product(int m, int n, int k, float alpha, float[] a, int aOff, int aRow, int aDepth, float[] b, int bOff,
      int ldb, float[] c, int cOff, int ldc) {
    int nv = n - n % L;
    int i = 0;
    for (; i + 8 <= m; i += 8) {
      int j = 0;
      if (aRow == 1) { // a transposed A: the eight rows adjacent at each depth
        for (; j + 2 * L <= nv; j += 2 * L) {
          product8x2Adjacent(k, alpha, a, aOff + i, aDepth, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
        }
      } else {
        for (; j + 4 * L <= nv; j += 4 * L) {
          product4x4(k, alpha, a, aOff + i * aRow, aRow, aDepth, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
          product4x4(k, alpha, a, aOff + (i + 4) * aRow, aRow, aDepth, b, bOff + j, ldb, c,
              cOff + (i + 4) * ldc + j, ldc);
        }
        for (; j + 2 * L <= nv; j += 2 * L) {
          product8x2(k, alpha, a, aOff + i * aRow, aRow, aDepth, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
        }
      }
      for (int r = i; r < i + 8 && j < nv; r += 4) {
        product4x1(k, alpha, a, aOff + r * aRow, aRow, aDepth, b, bOff + j, ldb, c, cOff + r * ldc + j, ldc);
      }
    }
    for (; i + 4 <= m; i += 4) {
      for (int j = 0; j < nv; j += L) {
        product4x1(k, alpha, a, aOff + i * aRow, aRow, aDepth, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
      }
    }
    for (; i < m; i++) {
      for (int j = 0; j < nv; j += L) {
        FloatVector sum = FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
          sum = FloatVector.broadcast(S, a[aOff + i * aRow + p * aDepth]).fma(FloatVector.fromArray(S, b,
              bOff + p * ldb + j), sum);
        }
        sum.mul(alpha).intoArray(c, cOff + i * ldc + j);
      }
    }
    ScalarKernels.product(m, nv, n, k, alpha, a, aOff, aRow, aDepth, b, bOff, ldb, c, cOff, ldc);
  }

  /*
   * product8x2 has microKernel's sixteen accumulators and loop, but reads A with a row and a depth
   * stride, B by rows at any stride (unpacked) and overwrites C. Folding those into microKernel
   * would give the GEMM's innermost loop a variable stride and an extra branch; the hot loop is kept
   * twice instead.
   */
  /** Eight rows of {@link #product} from {@code a0}, two vectors of columns from {@code bAt} and {@code cAt}. */
  private static void product8x2(int k, float alpha, float[] a, int a0, int aRow, int aDepth, float[] b, int bAt,
      int ldb, float[] c, int cAt, int ldc) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c60 = c00;
    FloatVector c61 = c00;
    FloatVector c70 = c00;
    FloatVector c71 = c00;
    int a1 = a0 + aRow;
    int a2 = a1 + aRow;
    int a3 = a2 + aRow;
    int a4 = a3 + aRow;
    int a5 = a4 + aRow;
    int a6 = a5 + aRow;
    int a7 = a6 + aRow;
    for (int p = 0, pa = 0, pb = bAt; p < k; p++, pa += aDepth, pb += ldb) {
      FloatVector b0 = FloatVector.fromArray(S, b, pb);
      FloatVector b1 = FloatVector.fromArray(S, b, pb + L);
      FloatVector x = FloatVector.broadcast(S, a[a0 + pa]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[a1 + pa]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[a2 + pa]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[a3 + pa]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[a4 + pa]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[a5 + pa]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
      x = FloatVector.broadcast(S, a[a6 + pa]);
      c60 = x.fma(b0, c60);
      c61 = x.fma(b1, c61);
      x = FloatVector.broadcast(S, a[a7 + pa]);
      c70 = x.fma(b0, c70);
      c71 = x.fma(b1, c71);
    }
    int r = cAt;
    c00.mul(alpha).intoArray(c, r);
    c01.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c10.mul(alpha).intoArray(c, r);
    c11.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c20.mul(alpha).intoArray(c, r);
    c21.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c30.mul(alpha).intoArray(c, r);
    c31.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c40.mul(alpha).intoArray(c, r);
    c41.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c50.mul(alpha).intoArray(c, r);
    c51.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c60.mul(alpha).intoArray(c, r);
    c61.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c70.mul(alpha).intoArray(c, r);
    c71.mul(alpha).intoArray(c, r + L);
  }

  /**
   * {@link #product8x2} where the eight rows' values at each depth are adjacent ({@code aRow = 1}, a
   * transposed A): read from one offset, as {@link #microKernel} reads a packed panel. With eight
   * offsets live, C2 ran W7's transposed head products at 147-149 GFLOP/s against 190-195 (in L1).
   */
  private static void product8x2Adjacent(int k, float alpha, float[] a, int a0, int aDepth, float[] b, int bAt,
      int ldb, float[] c, int cAt, int ldc) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c60 = c00;
    FloatVector c61 = c00;
    FloatVector c70 = c00;
    FloatVector c71 = c00;
    for (int p = 0, pa = a0, pb = bAt; p < k; p++, pa += aDepth, pb += ldb) {
      FloatVector b0 = FloatVector.fromArray(S, b, pb);
      FloatVector b1 = FloatVector.fromArray(S, b, pb + L);
      FloatVector x = FloatVector.broadcast(S, a[pa]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[pa + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[pa + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[pa + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[pa + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[pa + 5]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
      x = FloatVector.broadcast(S, a[pa + 6]);
      c60 = x.fma(b0, c60);
      c61 = x.fma(b1, c61);
      x = FloatVector.broadcast(S, a[pa + 7]);
      c70 = x.fma(b0, c70);
      c71 = x.fma(b1, c71);
    }
    int r = cAt;
    c00.mul(alpha).intoArray(c, r);
    c01.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c10.mul(alpha).intoArray(c, r);
    c11.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c20.mul(alpha).intoArray(c, r);
    c21.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c30.mul(alpha).intoArray(c, r);
    c31.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c40.mul(alpha).intoArray(c, r);
    c41.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c50.mul(alpha).intoArray(c, r);
    c51.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c60.mul(alpha).intoArray(c, r);
    c61.mul(alpha).intoArray(c, r + L);
    r += ldc;
    c70.mul(alpha).intoArray(c, r);
    c71.mul(alpha).intoArray(c, r + L);
  }

  /**
   * Four rows of {@link #product} by four vectors of columns, sixteen accumulators from four row
   * offsets (as {@link #rows4x4}): W7's 64×64×32 head products ran at 175-178 GFLOP/s against
   * {@link #product8x2}'s 156-160 (in L1).
   */
  private static void product4x4(int k, float alpha, float[] a, int a0, int aRow, int aDepth, float[] b, int bAt,
      int ldb, float[] c, int cAt, int ldc) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c02 = c00;
    FloatVector c03 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c12 = c00;
    FloatVector c13 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c22 = c00;
    FloatVector c23 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c32 = c00;
    FloatVector c33 = c00;
    int a1 = a0 + aRow;
    int a2 = a1 + aRow;
    int a3 = a2 + aRow;
    for (int p = 0, pa = 0, pb = bAt; p < k; p++, pa += aDepth, pb += ldb) {
      FloatVector b0 = FloatVector.fromArray(S, b, pb);
      FloatVector b1 = FloatVector.fromArray(S, b, pb + L);
      FloatVector b2 = FloatVector.fromArray(S, b, pb + 2 * L);
      FloatVector b3 = FloatVector.fromArray(S, b, pb + 3 * L);
      FloatVector x = FloatVector.broadcast(S, a[a0 + pa]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      c02 = x.fma(b2, c02);
      c03 = x.fma(b3, c03);
      x = FloatVector.broadcast(S, a[a1 + pa]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      c12 = x.fma(b2, c12);
      c13 = x.fma(b3, c13);
      x = FloatVector.broadcast(S, a[a2 + pa]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      c22 = x.fma(b2, c22);
      c23 = x.fma(b3, c23);
      x = FloatVector.broadcast(S, a[a3 + pa]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      c32 = x.fma(b2, c32);
      c33 = x.fma(b3, c33);
    }
    int r = cAt;
    c00.mul(alpha).intoArray(c, r);
    c01.mul(alpha).intoArray(c, r + L);
    c02.mul(alpha).intoArray(c, r + 2 * L);
    c03.mul(alpha).intoArray(c, r + 3 * L);
    r += ldc;
    c10.mul(alpha).intoArray(c, r);
    c11.mul(alpha).intoArray(c, r + L);
    c12.mul(alpha).intoArray(c, r + 2 * L);
    c13.mul(alpha).intoArray(c, r + 3 * L);
    r += ldc;
    c20.mul(alpha).intoArray(c, r);
    c21.mul(alpha).intoArray(c, r + L);
    c22.mul(alpha).intoArray(c, r + 2 * L);
    c23.mul(alpha).intoArray(c, r + 3 * L);
    r += ldc;
    c30.mul(alpha).intoArray(c, r);
    c31.mul(alpha).intoArray(c, r + L);
    c32.mul(alpha).intoArray(c, r + 2 * L);
    c33.mul(alpha).intoArray(c, r + 3 * L);
  }

  /** Four rows of {@link #product} from {@code a0}, one vector of columns from {@code bAt} and {@code cAt}. */
  private static void product4x1(int k, float alpha, float[] a, int a0, int aRow, int aDepth, float[] b, int bAt,
      int ldb, float[] c, int cAt, int ldc) {
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = c0;
    FloatVector c2 = c0;
    FloatVector c3 = c0;
    int a1 = a0 + aRow;
    int a2 = a1 + aRow;
    int a3 = a2 + aRow;
    for (int p = 0, pa = 0, pb = bAt; p < k; p++, pa += aDepth, pb += ldb) {
      FloatVector b0 = FloatVector.fromArray(S, b, pb);
      c0 = FloatVector.broadcast(S, a[a0 + pa]).fma(b0, c0);
      c1 = FloatVector.broadcast(S, a[a1 + pa]).fma(b0, c1);
      c2 = FloatVector.broadcast(S, a[a2 + pa]).fma(b0, c2);
      c3 = FloatVector.broadcast(S, a[a3 + pa]).fma(b0, c3);
    }
    c0.mul(alpha).intoArray(c, cAt);
    c1.mul(alpha).intoArray(c, cAt + ldc);
    c2.mul(alpha).intoArray(c, cAt + 2 * ldc);
    c3.mul(alpha).intoArray(c, cAt + 3 * ldc);
  }

  @Override
  public void rowTimesMatrix(int k, int n, float alpha, float[] a, int aOff, float[] b, int bOff, int ldb, float[] c,
      int cOff) {
    // B is read row by row, front to back, which the prefetchers follow; the sums (one row, in L1)
    // take four rows of B per pass. Each sum still adds p = 0, 1, 2, ... in order, by FMA.
    int nv = n - n % L;
    float[] sum = new float[nv];
    int p = 0;
    for (; p + 4 <= k; p += 4) {
      FloatVector x0 = FloatVector.broadcast(S, a[aOff + p]);
      FloatVector x1 = FloatVector.broadcast(S, a[aOff + p + 1]);
      FloatVector x2 = FloatVector.broadcast(S, a[aOff + p + 2]);
      FloatVector x3 = FloatVector.broadcast(S, a[aOff + p + 3]);
      int row0 = bOff + p * ldb;
      int row1 = row0 + ldb;
      int row2 = row1 + ldb;
      int row3 = row2 + ldb;
      for (int j = 0; j < nv; j += L) {
        FloatVector acc = FloatVector.fromArray(S, sum, j);
        acc = x0.fma(FloatVector.fromArray(S, b, row0 + j), acc);
        acc = x1.fma(FloatVector.fromArray(S, b, row1 + j), acc);
        acc = x2.fma(FloatVector.fromArray(S, b, row2 + j), acc);
        acc = x3.fma(FloatVector.fromArray(S, b, row3 + j), acc);
        acc.intoArray(sum, j);
      }
    }
    for (; p < k; p++) {
      FloatVector x = FloatVector.broadcast(S, a[aOff + p]);
      int row = bOff + p * ldb;
      for (int j = 0; j < nv; j += L) {
        x.fma(FloatVector.fromArray(S, b, row + j), FloatVector.fromArray(S, sum, j)).intoArray(sum, j);
      }
    }
    for (int j = 0; j < nv; j += L) {
      FloatVector.fromArray(S, sum, j).mul(alpha).add(FloatVector.fromArray(S, c, cOff + j)).intoArray(c, cOff + j);
    }
    for (int j = nv; j < n; j++) {
      float t = 0f;
      for (int q = 0; q < k; q++) {
        t = Math.fma(a[aOff + q], b[bOff + q * ldb + j], t);
      }
      c[cOff + j] = c[cOff + j] + alpha * t;
    }
  }

  @Override
  public void rowDotRows(int k, int n, float alpha, float[] a, int aOff, float[] b, int bOff, int ldb, float[] c,
      int cOff) {
    int kv = k - k % L;
    float[] lanes = LANES.get(); // (4L) partial sums, added up in lane order; per thread, so nothing is allocated
    int j = 0;
    if (L == 16) {
      for (; j + 16 <= n; j += 16) {
        dotRows16(alpha, k, kv, a, aOff, b, bOff + j * ldb, ldb, c, cOff + j);
      }
    }
    for (; j + 4 <= n; j += 4) {
      int r0 = bOff + j * ldb;
      int r1 = r0 + ldb;
      int r2 = r1 + ldb;
      int r3 = r2 + ldb;
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = s0;
      FloatVector s2 = s0;
      FloatVector s3 = s0;
      for (int p = 0; p < kv; p += L) {
        FloatVector x = FloatVector.fromArray(S, a, aOff + p);
        s0 = x.fma(FloatVector.fromArray(S, b, r0 + p), s0);
        s1 = x.fma(FloatVector.fromArray(S, b, r1 + p), s1);
        s2 = x.fma(FloatVector.fromArray(S, b, r2 + p), s2);
        s3 = x.fma(FloatVector.fromArray(S, b, r3 + p), s3);
      }
      s0.intoArray(lanes, 0 * L);
      s1.intoArray(lanes, 1 * L);
      s2.intoArray(lanes, 2 * L);
      s3.intoArray(lanes, 3 * L);
      c[cOff + j] = c[cOff + j] + alpha * dotTail(laneSum(lanes, 0), a, aOff, b, r0, kv, k);
      c[cOff + j + 1] = c[cOff + j + 1] + alpha * dotTail(laneSum(lanes, L), a, aOff, b, r1, kv, k);
      c[cOff + j + 2] = c[cOff + j + 2] + alpha * dotTail(laneSum(lanes, 2 * L), a, aOff, b, r2, kv, k);
      c[cOff + j + 3] = c[cOff + j + 3] + alpha * dotTail(laneSum(lanes, 3 * L), a, aOff, b, r3, kv, k);
    }
    for (; j < n; j++) {
      int r = bOff + j * ldb;
      FloatVector s = FloatVector.zero(S);
      for (int p = 0; p < kv; p += L) {
        s = FloatVector.fromArray(S, a, aOff + p).fma(FloatVector.fromArray(S, b, r + p), s);
      }
      s.intoArray(lanes, 0);
      c[cOff + j] = c[cOff + j] + alpha * dotTail(laneSum(lanes, 0), a, aOff, b, r, kv, k);
    }
  }

  @Override
  public void packedRowDots(int k, float[] z, float[] packed, int start, int from, int to, boolean reverse,
      float[] sums) {
    for (int i = from; i < to; i++) {
      int block = reverse ? from + to - 1 - i : i;
      for (int part = 0; part < COLUMN_BLOCK; part += 8 * L) { // one part with 512-bit vectors
        columnDots8(k, z, packed, start + block * COLUMN_BLOCK * k + part, sums, block * COLUMN_BLOCK + part);
      }
    }
  }

  /**
   * {@link #packedRowDots} for 8 vectors of rows of one block, from {@code at}: one vector of z
   * broadcast per column, 8 fused multiply-adds into 8 accumulators, the block's next column
   * {@code COLUMN_BLOCK} floats on.
   */
  private static void columnDots8(int k, float[] z, float[] packed, int at, float[] sums, int sOff) {
    FloatVector s0 = FloatVector.zero(S);
    FloatVector s1 = s0;
    FloatVector s2 = s0;
    FloatVector s3 = s0;
    FloatVector s4 = s0;
    FloatVector s5 = s0;
    FloatVector s6 = s0;
    FloatVector s7 = s0;
    for (int p = 0; p < k; p++, at += COLUMN_BLOCK) {
      FloatVector zp = FloatVector.broadcast(S, z[p]);
      s0 = zp.fma(FloatVector.fromArray(S, packed, at), s0);
      s1 = zp.fma(FloatVector.fromArray(S, packed, at + L), s1);
      s2 = zp.fma(FloatVector.fromArray(S, packed, at + 2 * L), s2);
      s3 = zp.fma(FloatVector.fromArray(S, packed, at + 3 * L), s3);
      s4 = zp.fma(FloatVector.fromArray(S, packed, at + 4 * L), s4);
      s5 = zp.fma(FloatVector.fromArray(S, packed, at + 5 * L), s5);
      s6 = zp.fma(FloatVector.fromArray(S, packed, at + 6 * L), s6);
      s7 = zp.fma(FloatVector.fromArray(S, packed, at + 7 * L), s7);
    }
    s0.intoArray(sums, sOff);
    s1.intoArray(sums, sOff + L);
    s2.intoArray(sums, sOff + 2 * L);
    s3.intoArray(sums, sOff + 3 * L);
    s4.intoArray(sums, sOff + 4 * L);
    s5.intoArray(sums, sOff + 5 * L);
    s6.intoArray(sums, sOff + 6 * L);
    s7.intoArray(sums, sOff + 7 * L);
  }

  /**
   * Sixteen rows of {@link #rowDotRows}, for L == 16: the products go into 16 partial-sum vectors,
   * then a fixed tree of blends and lane swaps turns them into one vector whose lane q is the sum
   * for row q (the same additions every time). A method of its own: inlined into rowDotRows, the
   * whole was too big for C1, which gave up on it and left it interpreted.
   */
  private static void dotRows16(float alpha, int k, int kv, float[] a, int aOff, float[] b, int r, int ldb, float[] c,
      int cOff) {
    FloatVector s0 = FloatVector.zero(S);
    FloatVector s1 = s0;
    FloatVector s2 = s0;
    FloatVector s3 = s0;
    FloatVector s4 = s0;
    FloatVector s5 = s0;
    FloatVector s6 = s0;
    FloatVector s7 = s0;
    FloatVector s8 = s0;
    FloatVector s9 = s0;
    FloatVector s10 = s0;
    FloatVector s11 = s0;
    FloatVector s12 = s0;
    FloatVector s13 = s0;
    FloatVector s14 = s0;
    FloatVector s15 = s0;
    for (int p = 0; p < kv; p += L) {
      FloatVector x = FloatVector.fromArray(S, a, aOff + p);
      s0 = x.fma(FloatVector.fromArray(S, b, r + p), s0);
      s1 = x.fma(FloatVector.fromArray(S, b, r + 1 * ldb + p), s1);
      s2 = x.fma(FloatVector.fromArray(S, b, r + 2 * ldb + p), s2);
      s3 = x.fma(FloatVector.fromArray(S, b, r + 3 * ldb + p), s3);
      s4 = x.fma(FloatVector.fromArray(S, b, r + 4 * ldb + p), s4);
      s5 = x.fma(FloatVector.fromArray(S, b, r + 5 * ldb + p), s5);
      s6 = x.fma(FloatVector.fromArray(S, b, r + 6 * ldb + p), s6);
      s7 = x.fma(FloatVector.fromArray(S, b, r + 7 * ldb + p), s7);
      s8 = x.fma(FloatVector.fromArray(S, b, r + 8 * ldb + p), s8);
      s9 = x.fma(FloatVector.fromArray(S, b, r + 9 * ldb + p), s9);
      s10 = x.fma(FloatVector.fromArray(S, b, r + 10 * ldb + p), s10);
      s11 = x.fma(FloatVector.fromArray(S, b, r + 11 * ldb + p), s11);
      s12 = x.fma(FloatVector.fromArray(S, b, r + 12 * ldb + p), s12);
      s13 = x.fma(FloatVector.fromArray(S, b, r + 13 * ldb + p), s13);
      s14 = x.fma(FloatVector.fromArray(S, b, r + 14 * ldb + p), s14);
      s15 = x.fma(FloatVector.fromArray(S, b, r + 15 * ldb + p), s15);
    }
    FloatVector u0 = s0.blend(s1, BIT0).add(s1.blend(s0, BIT0).rearrange(SWAP0));
    FloatVector u1 = s2.blend(s3, BIT0).add(s3.blend(s2, BIT0).rearrange(SWAP0));
    FloatVector u2 = s4.blend(s5, BIT0).add(s5.blend(s4, BIT0).rearrange(SWAP0));
    FloatVector u3 = s6.blend(s7, BIT0).add(s7.blend(s6, BIT0).rearrange(SWAP0));
    FloatVector u4 = s8.blend(s9, BIT0).add(s9.blend(s8, BIT0).rearrange(SWAP0));
    FloatVector u5 = s10.blend(s11, BIT0).add(s11.blend(s10, BIT0).rearrange(SWAP0));
    FloatVector u6 = s12.blend(s13, BIT0).add(s13.blend(s12, BIT0).rearrange(SWAP0));
    FloatVector u7 = s14.blend(s15, BIT0).add(s15.blend(s14, BIT0).rearrange(SWAP0));
    FloatVector v0 = u0.blend(u1, BIT1).add(u1.blend(u0, BIT1).rearrange(SWAP1));
    FloatVector v1 = u2.blend(u3, BIT1).add(u3.blend(u2, BIT1).rearrange(SWAP1));
    FloatVector v2 = u4.blend(u5, BIT1).add(u5.blend(u4, BIT1).rearrange(SWAP1));
    FloatVector v3 = u6.blend(u7, BIT1).add(u7.blend(u6, BIT1).rearrange(SWAP1));
    FloatVector w0 = v0.blend(v1, BIT2).add(v1.blend(v0, BIT2).rearrange(SWAP2));
    FloatVector w1 = v2.blend(v3, BIT2).add(v3.blend(v2, BIT2).rearrange(SWAP2));
    FloatVector sums = w0.blend(w1, BIT3).add(w1.blend(w0, BIT3).rearrange(SWAP3));
    if (kv < k) {
      // The last k % L columns, row by row. Not by masked loads: JDK 17 intrinsifies those only
      // when the whole vector lies inside the array, and its fallback allocates.
      float[] tails = LANES.get();
      for (int q = 0; q < 16; q++) {
        tails[q] = dotTail(0f, a, aOff, b, r + q * ldb, kv, k);
      }
      sums = sums.add(FloatVector.fromArray(S, tails, 0));
    }
    int at = cOff;
    sums.mul(alpha).add(FloatVector.fromArray(S, c, at)).intoArray(c, at);
  }

  /** lanes[from] + lanes[from + 1] + ... + lanes[from + L - 1], in that order. */
  private static float laneSum(float[] lanes, int from) {
    float sum = lanes[from];
    for (int l = 1; l < L; l++) {
      sum += lanes[from + l];
    }
    return sum;
  }

  /** Adds the scalar tail {@code [from, k)} of a dot product to {@code sum}, the reduced vector part. */
  private static float dotTail(float sum, float[] a, int aOff, float[] b, int bRow, int from, int k) {
    for (int p = from; p < k; p++) {
      sum = Math.fma(a[aOff + p], b[bRow + p], sum);
    }
    return sum;
  }

  @Override
  public void sigmoid(float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      expChunk(x, xOff + i, false, -1f, 0f, y, yOff + i); // y = e^-x
      ONE.div(ONE.add(FloatVector.fromArray(S, y, yOff + i))).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = FloatMath.sigmoid(x[xOff + i]);
    }
  }

  @Override
  public void tanh(float[] x, int xOff, float[] y, int yOff, int n) {
    float[] scratch = LANES.get(); // (L) e^-2|x| of one vector; per thread, so nothing is allocated
    int i = 0;
    for (; i + L <= n; i += L) {
      tanhChunk(x, xOff + i, y, yOff + i, scratch);
    }
    for (; i < n; i++) {
      y[yOff + i] = FloatMath.tanh(x[xOff + i]);
    }
  }

  /** One vector of {@link #tanh}; {@code scratch} holds (L) floats. Arrays in and out, as {@link #expChunk}. */
  private static void tanhChunk(float[] x, int xOff, float[] y, int yOff, float[] scratch) {
    FloatVector v = FloatVector.fromArray(S, x, xOff);
    FloatVector a = v.abs();
    // series branch: t = a + a·z·q(z), z = a²
    FloatVector z = a.mul(a);
    FloatVector q = T9.fma(z, T8);
    q = q.fma(z, T7);
    q = q.fma(z, T6);
    q = q.fma(z, T5);
    q = q.fma(z, T4);
    q = q.fma(z, T3);
    q = q.fma(z, T2);
    q = q.fma(z, T1);
    FloatVector series = a.mul(z).fma(q, a);
    // exp branch: t = (1 - e) / (1 + e), e = e^-2a
    expChunk(x, xOff, true, -2f, 0f, scratch, 0);
    FloatVector e = FloatVector.fromArray(S, scratch, 0);
    FloatVector far = ONE.sub(e).div(ONE.add(e));
    VectorMask<Float> near = a.compare(VectorOperators.LT, FloatMath.TANH_SERIES_LIMIT);
    FloatVector t = far.blend(series, near);
    IntVector sign = v.reinterpretAsInts().and(0x80000000);
    t.reinterpretAsInts().or(sign).reinterpretAsFloats().intoArray(y, yOff);
  }

  @Override
  public void lstmCellForward(int from, int to, int hs, boolean tanh, float[] gates, int gOff, float[] c, float[] h,
      int stOff, float[] cPrev, float[] actC, float[] out, int sOff) {
    int n = to - from;
    int gi = gOff + from;
    // The activations as whole-range passes, each vector the arithmetic of FloatMath's: 3.2 against
    // 4.9 ns a unit for the same operations interleaved vector by vector, where C2 left the exp and
    // tanh helpers as calls.
    sigmoid(gates, gi, gates, gi, n);
    sigmoid(gates, gi + hs, gates, gi + hs, n);
    if (tanh) {
      tanh(gates, gi + 2 * hs, gates, gi + 2 * hs, n);
    }
    sigmoid(gates, gi + 3 * hs, gates, gi + 3 * hs, n);
    int j = from;
    for (; j + L <= to; j += L) {
      FloatVector cOld = FloatVector.fromArray(S, c, stOff + j);
      cOld.intoArray(cPrev, sOff + j);
      FloatVector i = FloatVector.fromArray(S, gates, gOff + j);
      FloatVector f = FloatVector.fromArray(S, gates, gOff + hs + j);
      FloatVector g = FloatVector.fromArray(S, gates, gOff + 2 * hs + j);
      f.mul(cOld).add(i.mul(g)).intoArray(c, stOff + j);
    }
    for (; j < to; j++) {
      float cOld = c[stOff + j];
      cPrev[sOff + j] = cOld;
      c[stOff + j] = gates[gOff + hs + j] * cOld + gates[gOff + j] * gates[gOff + 2 * hs + j];
    }
    if (tanh) {
      tanh(c, stOff + from, actC, sOff + from, n);
    } else {
      System.arraycopy(c, stOff + from, actC, sOff + from, n);
    }
    j = from;
    for (; j + L <= to; j += L) {
      FloatVector v = FloatVector.fromArray(S, gates, gOff + 3 * hs + j).mul(FloatVector.fromArray(S, actC, sOff + j));
      v.intoArray(out, sOff + j);
      if (h != null) {
        v.intoArray(h, stOff + j);
      }
    }
    for (; j < to; j++) {
      float v = gates[gOff + 3 * hs + j] * actC[sOff + j];
      out[sOff + j] = v;
      if (h != null) {
        h[stOff + j] = v;
      }
    }
  }

  /**
   * One vector of {@code dst = exp(scale·x + shift)}, with {@code x = |src|} when {@code abs}:
   * {@link FloatMath#exp} lane by lane, step for step. It takes and returns arrays, never vectors,
   * so it cannot box them when the JIT declines to inline it (it is too big to be inlined
   * everywhere). {@code dst} may be {@code src}.
   */
  private static void expChunk(float[] src, int srcOff, boolean abs, float scale, float shift, float[] dst,
      int dstOff) {
    FloatVector v = FloatVector.fromArray(S, src, srcOff);
    if (abs) {
      v = v.abs();
    }
    // FloatMath.exp's clamp. Compare and blend, not max and min, whose Java semantics (NaN, -0)
    // cost extra steps here; a NaN fails both comparisons and stays NaN, as in FloatMath.
    FloatVector xs = v.mul(scale).add(shift);
    FloatVector xc = xs.blend(EXP_LOW, xs.lt(EXP_LOW)).blend(EXP_HIGH, xs.compare(VectorOperators.GT, EXP_HIGH));
    FloatVector shifted = xc.mul(LOG2E).add(ROUNDER);
    FloatVector nf = shifted.sub(ROUNDER);
    FloatVector r = nf.fma(NEG_LN2_HI, xc);
    r = nf.fma(NEG_LN2_LO, r);
    FloatVector p = E7.fma(r, E6);
    p = p.fma(r, E5);
    p = p.fma(r, E4);
    p = p.fma(r, E3);
    p = p.fma(r, E2);
    p = p.fma(r, ONE);
    p = p.fma(r, ONE);
    // convert(F2I) is not intrinsified on JDK 17; the bits of the rounded value give n for free
    IntVector ni = shifted.reinterpretAsInts().sub(FloatMath.ROUNDER_BITS);
    IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
    IntVector n2 = ni.sub(n1);
    p.mul(n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
        .mul(n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
        .intoArray(dst, dstOff);
  }

  @Override
  public void relu(float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector.fromArray(S, x, xOff + i).max(0f).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v > 0f ? v : 0f;
    }
  }

  @Override
  public void sigmoidBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector s = FloatVector.fromArray(S, y, yOff + i);
      FloatVector d = s.mul(s.neg().add(1f));
      FloatVector.fromArray(S, dy, dyOff + i).mul(d).intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      float s = y[yOff + i];
      dx[dxOff + i] = dy[dyOff + i] * (s * (1f - s));
    }
  }

  @Override
  public void lstmCellBackward(int hs, boolean tanh, float[] gates, int gOff, float[] actC, float[] cPrev, int cOff,
      float[] dh, float[] dc, int sOff, float[] dGates) {
    int j = 0;
    for (; j + L <= hs; j += L) {
      FloatVector i = FloatVector.fromArray(S, gates, gOff + j);
      FloatVector f = FloatVector.fromArray(S, gates, gOff + hs + j);
      FloatVector g = FloatVector.fromArray(S, gates, gOff + 2 * hs + j);
      FloatVector o = FloatVector.fromArray(S, gates, gOff + 3 * hs + j);
      FloatVector tc = FloatVector.fromArray(S, actC, cOff + j);
      FloatVector d = FloatVector.fromArray(S, dh, sOff + j);
      FloatVector dC = FloatVector.fromArray(S, dc, sOff + j).add(d.mul(o).mul(tanh ? ONE.sub(tc.mul(tc)) : ONE));
      dC.mul(g).mul(i).mul(ONE.sub(i)).intoArray(dGates, gOff + j);
      dC.mul(FloatVector.fromArray(S, cPrev, cOff + j)).mul(f).mul(ONE.sub(f)).intoArray(dGates, gOff + hs + j);
      FloatVector dG = dC.mul(i);
      (tanh ? dG.mul(ONE.sub(g.mul(g))) : dG).intoArray(dGates, gOff + 2 * hs + j);
      d.mul(tc).mul(o).mul(ONE.sub(o)).intoArray(dGates, gOff + 3 * hs + j);
      dC.mul(f).intoArray(dc, sOff + j);
    }
    ScalarKernels.lstmCellBackward(j, hs, hs, tanh, gates, gOff, actC, cPrev, cOff, dh, dc, sOff, dGates);
  }

  @Override
  public void gruCellBackward(int hs, float[] gates, float[] hh, int gOff, float[] hPrev, int sAt, float[] dh, int dhOff,
      float[] dGates, float[] dGatesHh) {
    int j = 0;
    for (; j + L <= hs; j += L) {
      FloatVector r = FloatVector.fromArray(S, gates, gOff + j);
      FloatVector z = FloatVector.fromArray(S, gates, gOff + hs + j);
      FloatVector n = FloatVector.fromArray(S, gates, gOff + 2 * hs + j);
      FloatVector d = FloatVector.fromArray(S, dh, dhOff + j);
      FloatVector dNPre = d.mul(ONE.sub(z)).mul(ONE.sub(n.mul(n)));
      FloatVector dRPre = dNPre.mul(FloatVector.fromArray(S, hh, gOff + 2 * hs + j)).mul(r).mul(ONE.sub(r));
      FloatVector dZPre = d.mul(FloatVector.fromArray(S, hPrev, sAt + j).sub(n)).mul(z).mul(ONE.sub(z));
      dRPre.intoArray(dGates, gOff + j);
      dZPre.intoArray(dGates, gOff + hs + j);
      dNPre.intoArray(dGates, gOff + 2 * hs + j);
      dRPre.intoArray(dGatesHh, gOff + j);
      dZPre.intoArray(dGatesHh, gOff + hs + j);
      dNPre.mul(r).intoArray(dGatesHh, gOff + 2 * hs + j);
      d.mul(z).intoArray(dh, dhOff + j);
    }
    ScalarKernels.gruCellBackward(j, hs, hs, gates, hh, gOff, hPrev, sAt, dh, dhOff, dGates, dGatesHh);
  }

  @Override
  public void tanhBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector t = FloatVector.fromArray(S, y, yOff + i);
      FloatVector d = t.mul(t).neg().add(1f);
      FloatVector.fromArray(S, dy, dyOff + i).mul(d).intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      float t = y[yOff + i];
      dx[dxOff + i] = dy[dyOff + i] * (1f - t * t);
    }
  }

  @Override
  public void reluBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector g = FloatVector.fromArray(S, dy, dyOff + i);
      FloatVector v = FloatVector.fromArray(S, y, yOff + i);
      g.blend(0f, v.compare(VectorOperators.LE, 0f)).intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      dx[dxOff + i] = y[yOff + i] > 0f ? dy[dyOff + i] : 0f;
    }
  }

  @Override
  public void addColumns(float[] x, int xOff, int ldx, int rows, int cols, double[] sums) {
    int dl = SD.length(); // L / 2
    int vc = cols - cols % L;
    for (int r = 0; r < rows; r++) {
      int at = xOff + r * ldx;
      for (int j = 0; j < vc; j += L) {
        FloatVector v = FloatVector.fromArray(S, x, at + j);
        DoubleVector low = (DoubleVector) v.convertShape(VectorOperators.F2D, SD, 0);
        DoubleVector high = (DoubleVector) v.convertShape(VectorOperators.F2D, SD, 1);
        DoubleVector.fromArray(SD, sums, j).add(low).intoArray(sums, j);
        DoubleVector.fromArray(SD, sums, j + dl).add(high).intoArray(sums, j + dl);
      }
    }
    ScalarKernels.addColumns(x, xOff, ldx, rows, vc, cols, sums);
  }

  @Override
  public void softmax(float[] x, int xOff, float[] y, int yOff, int n) {
    float max = max(x, xOff, n);
    float sum = expShifted(x, xOff, y, yOff, n, max);
    float inv = 1f / sum;
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector.fromArray(S, y, yOff + i).mul(inv).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] *= inv;
    }
  }

  /**
   * {@link #softmax} on groups of rows, one step at a time over the group (the maxima, then the
   * exponentials and their sums, then the scaling): one row's steps wait on each other, different
   * rows' do not. Each row gets the bits of its own call. W7's 8,192 rows of 64, 1 thread: 295-330
   * against 410-450 µs a pass alone, 414-430 against 474-490 µs within the step. The scaling is
   * written out here: moved into a helper, it cost C2's inlining of the exponentials (430-530 µs).
   */
  @Override
  public void softmaxRows(float[] x, int off, int ld, int rows, int n) {
    float[] perRow = ROW_SCRATCH.get(); // a row's max, then 1 / its sum
    for (int r0 = 0; r0 < rows; r0 += ROW_GROUP) {
      int g = Math.min(ROW_GROUP, rows - r0);
      int at = off + r0 * ld;
      for (int r = 0; r < g; r++) {
        perRow[r] = max(x, at + r * ld, n);
      }
      for (int r = 0; r < g; r++) {
        perRow[r] = 1f / expShifted(x, at + r * ld, x, at + r * ld, n, perRow[r]);
      }
      for (int r = 0; r < g; r++) {
        float inv = perRow[r];
        int row = at + r * ld;
        int i = 0;
        for (; i + L <= n; i += L) {
          FloatVector.fromArray(S, x, row + i).mul(inv).intoArray(x, row + i);
        }
        for (; i < n; i++) {
          x[row + i] *= inv;
        }
      }
    }
  }

  @Override
  public void softmaxBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i + L <= n; i += L) {
      acc = FloatVector.fromArray(S, dy, dyOff + i).fma(FloatVector.fromArray(S, y, yOff + i), acc);
    }
    float dot = treeSum(acc);
    for (; i < n; i++) {
      dot = Math.fma(dy[dyOff + i], y[yOff + i], dot);
    }
    for (i = 0; i + L <= n; i += L) {
      FloatVector.fromArray(S, dy, dyOff + i).sub(dot).mul(FloatVector.fromArray(S, y, yOff + i))
          .intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      dx[dxOff + i] = (dy[dyOff + i] - dot) * y[yOff + i];
    }
  }

  /**
   * The lanes of {@code v} added up by a fixed tree of lane swaps (lane l plus lane l^8, then l^4, l^2,
   * l^1): the same additions compiled or interpreted, and a few steps where adding the lanes in
   * order takes L.
   */
  private static float treeSum(FloatVector v) {
    if (L > 16) { // the swaps cover 16 lanes
      float[] lanes = LANES.get();
      v.intoArray(lanes, 0);
      return laneSum(lanes, 0);
    }
    if (L == 16) {
      v = v.add(v.rearrange(SWAP3));
    }
    if (L >= 8) {
      v = v.add(v.rearrange(SWAP2));
    }
    if (L >= 4) {
      v = v.add(v.rearrange(SWAP1));
    }
    if (L >= 2) {
      v = v.add(v.rearrange(SWAP0));
    }
    return v.lane(0);
  }

  @Override
  public void logSoftmax(float[] x, int xOff, float[] y, int yOff, int n) {
    float max = max(x, xOff, n);
    float logSum = (float) Math.log(expSum(x, xOff, n, max));
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector.fromArray(S, x, xOff + i).sub(max).sub(logSum).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = (x[xOff + i] - max) - logSum;
    }
  }

  private static float max(float[] x, int off, int n) {
    int i = 0;
    float max = Float.NEGATIVE_INFINITY;
    if (n >= L) {
      FloatVector m = FloatVector.fromArray(S, x, off);
      for (i = L; i + L <= n; i += L) {
        m = m.max(FloatVector.fromArray(S, x, off + i));
      }
      max = m.reduceLanes(VectorOperators.MAX);
    }
    for (; i < n; i++) {
      max = Math.max(max, x[off + i]);
    }
    return max;
  }

  /** y = exp(x - max); returns the sum of y, added in a fixed order. */
  private static float expShifted(float[] x, int xOff, float[] y, int yOff, int n, float max) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i + L <= n; i += L) {
      expChunk(x, xOff + i, false, 1f, -max, y, yOff + i);
      acc = acc.add(FloatVector.fromArray(S, y, yOff + i));
    }
    double sum = treeSum(acc);
    for (; i < n; i++) {
      float e = FloatMath.exp(x[xOff + i] - max);
      y[yOff + i] = e;
      sum += e;
    }
    return (float) sum;
  }

  /** The sum of exp(x - max), added in a fixed order, without writing anything. */
  private static double expSum(float[] x, int xOff, int n, float max) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    float[] lanes = LANES.get();
    for (; i + L <= n; i += L) {
      expChunk(x, xOff + i, false, 1f, -max, lanes, 0);
      acc = acc.add(FloatVector.fromArray(S, lanes, 0));
    }
    acc.intoArray(lanes, 0);
    double sum = sumInOrder(lanes);
    for (; i < n; i++) {
      sum += FloatMath.exp(x[xOff + i] - max);
    }
    return sum;
  }

  /** Lane 0 + lane 1 + ... + lane L-1: the fixed order that keeps reductions bit-identical run to run. */
  private static double sumInOrder(float[] lanes) {
    double sum = 0;
    for (int l = 0; l < L; l++) {
      sum += lanes[l];
    }
    return sum;
  }
}
