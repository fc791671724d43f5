package io.github.recurrent4j.kernel;

import java.util.Arrays;

/**
 * The scalar reference kernels: plain loops, with exp, tanh and sigmoid from {@link FloatMath},
 * which the SIMD kernels repeat lane by lane, so those give identical bits on both paths. Used
 * when the Vector API is absent or disabled, and as the twin every SIMD kernel is tested against.
 */
public final class ScalarKernels implements Kernels {
  private static final int MR = 8;
  private static final int NR = 64;

  @Override
  public String name() {
    return "scalar";
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
    tile(kc, ap, apOff, 1, aStep, bp, bpOff, alpha, start, startOff, c, cOff, ldc);
  }

  @Override
  public void microKernelRows(int kc, float[] a, int aOff, int lda, float[] bp, int bpOff, float alpha, float[] start,
      int startOff, float[] c, int cOff, int ldc) {
    tile(kc, a, aOff, lda, 1, bp, bpOff, alpha, start, startOff, c, cOff, ldc);
  }

  @Override
  public void microKernelRowsWide(int kc, float[] a, int aOff, int lda, float[] bp, int bpOff0, int bpOff1,
      float alpha, float[] start, int startOff, float[] c, int cOff, int ldc) {
    tile(kc, a, aOff, lda, 1, bp, bpOff0, alpha, start, startOff, c, cOff, ldc);
    tile(kc, a, aOff, lda, 1, bp, bpOff1, alpha, start, startOff + NR, c, cOff + NR, ldc);
  }

  /** The micro-kernel with A at {@code a[aOff + r*rowStride + p*depthStride]}. */
  private static void tile(int kc, float[] a, int aOff, int rowStride, int depthStride, float[] bp, int bpOff,
      float alpha, float[] start, int startOff, float[] c, int cOff, int ldc) {
    // acc[r, j] += a[r, p] * bp[p, j] with p outermost: the j loop is contiguous, so C2 vectorizes it.
    float[] acc = new float[MR * NR];
    for (int p = 0; p < kc; p++) {
      int b = bpOff + p * NR;
      for (int r = 0; r < MR; r++) {
        float x = a[aOff + r * rowStride + p * depthStride];
        int row = r * NR;
        for (int j = 0; j < NR; j++) {
          acc[row + j] += x * bp[b + j];
        }
      }
    }
    for (int r = 0; r < MR; r++) {
      for (int j = 0; j < NR; j++) {
        int at = cOff + r * ldc + j;
        c[at] = (start != null ? start[startOff + j] : c[at]) + alpha * acc[r * NR + j];
      }
    }
  }

  @Override
  public void rowTimesMatrix(int k, int n, float alpha, float[] a, int aOff, float[] b, int bOff, int ldb, float[] c,
      int cOff) {
    // B row by row into a row of sums: the j loop is contiguous, so C2 vectorizes it.
    float[] sum = new float[n];
    for (int p = 0; p < k; p++) {
      float x = a[aOff + p];
      int row = bOff + p * ldb;
      for (int j = 0; j < n; j++) {
        sum[j] += x * b[row + j];
      }
    }
    for (int j = 0; j < n; j++) {
      c[cOff + j] = c[cOff + j] + alpha * sum[j];
    }
  }

  @Override
  public void rowDotRows(int k, int n, float alpha, float[] a, int aOff, float[] b, int bOff, int ldb, float[] c,
      int cOff) {
    for (int j = 0; j < n; j++) {
      float sum = 0f;
      int row = bOff + j * ldb;
      for (int p = 0; p < k; p++) {
        sum += a[aOff + p] * b[row + p];
      }
      c[cOff + j] = c[cOff + j] + alpha * sum;
    }
  }

  @Override
  public void packedRowDots(int k, float[] z, float[] packed, int start, int from, int to, boolean reverse,
      float[] sums) {
    for (int i = from; i < to; i++) {
      int block = reverse ? from + to - 1 - i : i;
      int s = block * COLUMN_BLOCK;
      Arrays.fill(sums, s, s + COLUMN_BLOCK, 0f);
      int at = start + s * k;
      for (int p = 0; p < k; p++, at += COLUMN_BLOCK) {
        float zp = z[p];
        for (int r = 0; r < COLUMN_BLOCK; r++) {
          sums[s + r] = Math.fma(zp, packed[at + r], sums[s + r]);
        }
      }
    }
  }

  @Override
  public void product(int m, int n, int k, float alpha, float[] a, int aOff, int aRow, int aDepth, float[] b, int bOff,
      int ldb, float[] c, int cOff, int ldc) {
    product(m, 0, n, k, alpha, a, aOff, aRow, aDepth, b, bOff, ldb, c, cOff, ldc);
  }

  /** {@link #product} for the columns {@code [from, to)}, in the order the SIMD kernel repeats lane by lane. */
  public static void product(int m, int from, int to, int k, float alpha, float[] a, int aOff, int aRow, int aDepth,
      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      for (int j = from; j < to; j++) {
        float sum = 0f;
        for (int p = 0; p < k; p++) {
          sum = Math.fma(a[aOff + i * aRow + p * aDepth], b[bOff + p * ldb + j], sum);
        }
        c[cOff + i * ldc + j] = alpha * sum;
      }
    }
  }

  @Override
  public void sigmoid(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = FloatMath.sigmoid(x[xOff + i]);
    }
  }

  @Override
  public void tanh(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = FloatMath.tanh(x[xOff + i]);
    }
  }

  @Override
  public void relu(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v > 0f ? v : 0f;
    }
  }

  @Override
  public void sigmoidBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    for (int i = 0; i < n; i++) {
      float s = y[yOff + i];
      dx[dxOff + i] = dy[dyOff + i] * (s * (1f - s));
    }
  }

  /** The arithmetic the SIMD kernel repeats lane by lane, in the same order, so both give the same bits. */
  @Override
  public void lstmCellForward(int from, int to, int hs, boolean tanh, float[] gates, int gOff, float[] c, float[] h,
      int stOff, float[] cPrev, float[] actC, float[] out, int sOff) {
    for (int j = from; j < to; j++) {
      float i = FloatMath.sigmoid(gates[gOff + j]);
      float f = FloatMath.sigmoid(gates[gOff + hs + j]);
      float g = tanh ? FloatMath.tanh(gates[gOff + 2 * hs + j]) : gates[gOff + 2 * hs + j];
      float o = FloatMath.sigmoid(gates[gOff + 3 * hs + j]);
      gates[gOff + j] = i;
      gates[gOff + hs + j] = f;
      gates[gOff + 2 * hs + j] = g;
      gates[gOff + 3 * hs + j] = o;
      float cOld = c[stOff + j];
      cPrev[sOff + j] = cOld;
      float cNew = f * cOld + i * g;
      c[stOff + j] = cNew;
      float a = tanh ? FloatMath.tanh(cNew) : cNew;
      actC[sOff + j] = a;
      float v = o * a;
      out[sOff + j] = v;
      if (h != null) {
        h[stOff + j] = v;
      }
    }
  }

  @Override
  public void lstmCellBackward(int hs, boolean tanh, float[] gates, int gOff, float[] actC, float[] cPrev, int cOff,
      float[] dh, float[] dc, int sOff, float[] dGates) {
    lstmCellBackward(0, hs, hs, tanh, gates, gOff, actC, cPrev, cOff, dh, dc, sOff, dGates);
  }

  /**
   * {@link #lstmCellBackward} for the units {@code [from, to)}: the arithmetic the SIMD kernel
   * repeats lane by lane, in the same order, so both give the same bits.
   */
  public static void lstmCellBackward(int from, int to, int hs, boolean tanh, float[] gates, int gOff, float[] actC,
      float[] cPrev, int cOff, float[] dh, float[] dc, int sOff, float[] dGates) {
    for (int j = from; j < to; j++) {
      float i = gates[gOff + j];
      float f = gates[gOff + hs + j];
      float g = gates[gOff + 2 * hs + j];
      float o = gates[gOff + 3 * hs + j];
      float tc = actC[cOff + j];
      float d = dh[sOff + j];
      // h = o ⊙ act(c): do = dh ⊙ act(c); dc += dh ⊙ o ⊙ act'(c); then c = f ⊙ c_prev + i ⊙ g
      float dC = dc[sOff + j] + d * o * (tanh ? 1f - tc * tc : 1f);
      dGates[gOff + j] = dC * g * i * (1f - i);
      dGates[gOff + hs + j] = dC * cPrev[cOff + j] * f * (1f - f);
      dGates[gOff + 2 * hs + j] = tanh ? dC * i * (1f - g * g) : dC * i;
      dGates[gOff + 3 * hs + j] = d * tc * o * (1f - o);
      dc[sOff + j] = dC * f;
    }
  }

  @Override
  public void gruCellBackward(int hs, float[] gates, float[] hh, int gOff, float[] hPrev, int sAt, float[] dh, int dhOff,
      float[] dGates, float[] dGatesHh) {
    gruCellBackward(0, hs, hs, gates, hh, gOff, hPrev, sAt, dh, dhOff, dGates, dGatesHh);
  }

  /** {@link #gruCellBackward} for the units {@code [from, to)}, in the order the SIMD kernel repeats lane by lane. */
  public static void gruCellBackward(int from, int to, int hs, float[] gates, float[] hh, int gOff, float[] hPrev,
      int sAt, float[] dh, int dhOff, float[] dGates, float[] dGatesHh) {
    for (int j = from; j < to; j++) {
      float r = gates[gOff + j];
      float z = gates[gOff + hs + j];
      float n = gates[gOff + 2 * hs + j];
      float d = dh[dhOff + j];
      // h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}; n = tanh(x_n + r ⊙ hn)
      float dNPre = d * (1f - z) * (1f - n * n);
      float dRPre = dNPre * hh[gOff + 2 * hs + j] * r * (1f - r);
      float dZPre = d * (hPrev[sAt + j] - n) * z * (1f - z);
      dGates[gOff + j] = dRPre;
      dGates[gOff + hs + j] = dZPre;
      dGates[gOff + 2 * hs + j] = dNPre;
      dGatesHh[gOff + j] = dRPre;
      dGatesHh[gOff + hs + j] = dZPre;
      dGatesHh[gOff + 2 * hs + j] = dNPre * r;
      dh[dhOff + j] = d * z;
    }
  }

  @Override
  public void tanhBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    for (int i = 0; i < n; i++) {
      float t = y[yOff + i];
      dx[dxOff + i] = dy[dyOff + i] * (1f - t * t);
    }
  }

  @Override
  public void reluBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    for (int i = 0; i < n; i++) {
      dx[dxOff + i] = y[yOff + i] > 0f ? dy[dyOff + i] : 0f;
    }
  }

  @Override
  public void addColumns(float[] x, int xOff, int ldx, int rows, int cols, double[] sums) {
    addColumns(x, xOff, ldx, rows, 0, cols, sums);
  }

  /** {@link #addColumns} for the columns {@code [from, to)}, in the order the SIMD kernel repeats lane by lane. */
  public static void addColumns(float[] x, int xOff, int ldx, int rows, int from, int to, double[] sums) {
    for (int r = 0; r < rows; r++) {
      int at = xOff + r * ldx;
      for (int j = from; j < to; j++) {
        sums[j] += x[at + j];
      }
    }
  }

  @Override
  public void softmax(float[] x, int xOff, float[] y, int yOff, int n) {
    float max = max(x, xOff, n);
    double sum = 0;
    for (int i = 0; i < n; i++) {
      float e = FloatMath.exp(x[xOff + i] - max);
      y[yOff + i] = e;
      sum += e;
    }
    float inv = (float) (1.0 / sum);
    for (int i = 0; i < n; i++) {
      y[yOff + i] *= inv;
    }
  }

  @Override
  public void softmaxBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    double dot = 0;
    for (int i = 0; i < n; i++) {
      dot += (double) dy[dyOff + i] * y[yOff + i];
    }
    for (int i = 0; i < n; i++) {
      dx[dxOff + i] = y[yOff + i] * (float) (dy[dyOff + i] - dot);
    }
  }

  @Override
  public void logSoftmax(float[] x, int xOff, float[] y, int yOff, int n) {
    float max = max(x, xOff, n);
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += FloatMath.exp(x[xOff + i] - max);
    }
    float logSum = (float) Math.log(sum);
    for (int i = 0; i < n; i++) {
      y[yOff + i] = (x[xOff + i] - max) - logSum;
    }
  }

  static float max(float[] x, int off, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, x[off + i]);
    }
    return max;
  }
}
