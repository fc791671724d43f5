package io.github.recurrent4j.kernel;

/**
 * The hot loops, on {@code float[]} with offsets. There are two implementations with the same
 * contract: {@link ScalarKernels} (plain Java, the reference) and a SIMD one built on
 * {@code jdk.incubator.vector}. {@link #active()} is chosen once at start-up; tests hold the two
 * equal on random shapes.
 *
 * <p>Unless stated otherwise, the output may alias the input (in-place use is allowed).
 */
public interface Kernels {
  /** A short name for logs and benchmarks, e.g. {@code "scalar"} or {@code "simd-512"}. */
  String name();

  /** Rows of a packed A panel in {@link #microKernel}; divides {@code Gemm.MC}. */
  int mr();

  /** Columns of a packed B panel in {@link #microKernel}; divides {@code Gemm.NC}. */
  int nr();

  /**
   * {@code c[r, j] += alpha * Σ_p ap[p, r] * bp[p, j]} for the full {@code mr() × nr()} tile, where
   * {@code ap[p, r] = ap[apOff + p*aStep + r]}, {@code bp[p, j] = bp[bpOff + p*nr() + j]} and
   * {@code c[r, j] = c[cOff + r*ldc + j]}. The product is formed first and then added:
   * {@code c + (alpha * sum)}, rounded twice. A packed A panel has {@code aStep = mr()}; a transposed
   * A read in place has its leading dimension, each step of the depth a row of it.
   *
   * <p>With {@code start} not null the tile's old contents are neither read nor kept: every row
   * becomes {@code start[startOff + j] + (alpha * sum)}, the bits it would get had it held that row
   * (zeros for a product that overwrites C, a layer's bias), without loading C, which a first block
   * of a large C finds in neither cache.
   */
  void microKernel(int kc, float[] ap, int apOff, int aStep, float[] bp, int bpOff, float alpha, float[] start,
      int startOff, float[] c, int cOff, int ldc);

  /**
   * As {@link #microKernel}, but A is read in place from {@code mr()} rows:
   * {@code ap[p, r] = a[aOff + r*lda + p]}. Used when A is a large matrix that is cheaper to
   * stream than to pack, for a last odd panel of B; {@link #microKernelRowsWide} takes two. {@code start}
   * as in {@link #microKernel}.
   */
  void microKernelRows(int kc, float[] a, int aOff, int lda, float[] bp, int bpOff, float alpha, float[] start,
      int startOff, float[] c, int cOff, int ldc);

  /**
   * {@link #microKernelRows} two panels of B wide: a tile of {@code mr() × 2·nr()}, its columns
   * {@code [0, nr())} from the panel at {@code bpOff0} and {@code [nr(), 2·nr())} from the one at
   * {@code bpOff1}, each laid out as in {@link #microKernel}. Each element is formed by the same
   * operations as in {@link #microKernelRows}.
   */
  void microKernelRowsWide(int kc, float[] a, int aOff, int lda, float[] bp, int bpOff0, int bpOff1, float alpha,
      float[] start, int startOff, float[] c, int cOff, int ldc);

  /** {@code c[j] += alpha * Σ_p a[p] * b[p*ldb + j]} for {@code j < n}: a row vector times a matrix. */
  void rowTimesMatrix(int k, int n, float alpha, float[] a, int aOff, float[] b, int bOff, int ldb, float[] c, int cOff);

  /** {@code c[j] += alpha * Σ_p a[p] * b[j*ldb + p]} for {@code j < n}: dot products of a row with rows. */
  void rowDotRows(int k, int n, float alpha, float[] a, int aOff, float[] b, int bOff, int ldb, float[] c, int cOff);

  /** Rows in a block of the layout of {@link #packRowsByColumn}. */
  int COLUMN_BLOCK = 128;

  /** The number of blocks of {@link #COLUMN_BLOCK} rows that hold {@code rows} rows. */
  static int columnBlocks(int rows) {
    return (rows + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
  }

  /**
   * Packs the rows {@code [0, rows)} of the concatenated matrix {@code [b1 b2]} ({@code k1 + k2}
   * columns; row j is {@code b1[j*ldb1 .. +k1)} then {@code b2[j*ldb2 .. +k2)}) for
   * {@link #packedRowDots}: blocks of {@link #COLUMN_BLOCK} rows one after another, and inside a
   * block the columns in order, each holding its {@code COLUMN_BLOCK} rows side by side. Rows past
   * {@code rows} in the last block are zeros. A product that walks this layout reads one stream of
   * memory and sums no lanes across, where dot products over the rows read as many streams as rows
   * in flight and end every row with a reduction. The layout starts on a cache line where
   * {@link CacheLines} knows where arrays lie.
   */
  static PackedRows packRowsByColumn(int rows, int k1, float[] b1, int ldb1, int k2, float[] b2, int ldb2) {
    int k = k1 + k2;
    int blocks = columnBlocks(rows);
    if ((long) blocks * COLUMN_BLOCK * k > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("Kernels.packRowsByColumn: " + rows + " rows of " + k
          + " columns are more than one array can hold");
    }
    PackedRows rowsByColumn = PackedRows.zeros(blocks * COLUMN_BLOCK * k);
    float[] packed = rowsByColumn.data;
    for (int j = 0; j < rows; j++) {
      int at = rowsByColumn.start + j / COLUMN_BLOCK * COLUMN_BLOCK * k + j % COLUMN_BLOCK;
      for (int p = 0; p < k1; p++) {
        packed[at + p * COLUMN_BLOCK] = b1[j * ldb1 + p];
      }
      at += k1 * COLUMN_BLOCK;
      for (int p = 0; p < k2; p++) {
        packed[at + p * COLUMN_BLOCK] = b2[j * ldb2 + p];
      }
    }
    return rowsByColumn;
  }

  /**
   * {@code sums[j] = Σ_p z[p] * w[j, p]} for the rows j of the blocks {@code [from, to)} of a
   * matrix w of {@code k} columns packed by {@link #packRowsByColumn} into {@code packed} from
   * {@code start} (a {@link PackedRows}' data and start): {@code sums} is indexed like
   * the packed rows, {@code COLUMN_BLOCK} a block (padding rows included). Each sum starts at 0 and
   * takes its terms in order of p by fused multiply-adds, so every implementation gives the same
   * bits. {@code reverse} takes the blocks from the last one: the same sums, but a product that
   * alternates directions starts on the blocks it read last, which are still in cache.
   */
  void packedRowDots(int k, float[] z, float[] packed, int start, int from, int to, boolean reverse, float[] sums);

  /**
   * A small product that overwrites C: {@code c[i, j] = alpha * Σ_p a[i, p] * b[p, j]} for
   * {@code i < m}, {@code j < n}, with {@code a[i, p] = a[aOff + i*aRow + p*aDepth]} (so A may be read
   * transposed, with {@code aRow = 1}), {@code b[p, j] = b[bOff + p*ldb + j]} and
   * {@code c[i, j] = c[cOff + i*ldc + j]}. Each sum starts at 0 and takes its terms in order of p by
   * fused multiply-adds, then is multiplied by alpha, so every implementation gives the same bits.
   * For the products of attention's heads (64×64×32, say), too small for {@link Gemm}'s packing to
   * pay. C must not overlap A or B.
   */
  void product(int m, int n, int k, float alpha, float[] a, int aOff, int aRow, int aDepth, float[] b, int bOff,
      int ldb, float[] c, int cOff, int ldc);

  /** {@code y = 1 / (1 + exp(-x))}. */
  void sigmoid(float[] x, int xOff, float[] y, int yOff, int n);

  /** {@code y = tanh(x)}. */
  void tanh(float[] x, int xOff, float[] y, int yOff, int n);

  /** {@code y = max(x, 0)}. */
  void relu(float[] x, int xOff, float[] y, int yOff, int n);

  /** From the sigmoid's output: {@code dx = dy * y * (1 - y)}. */
  void sigmoidBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n);

  /** From the tanh's output: {@code dx = dy * (1 - y*y)}. */
  void tanhBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n);

  /** From the relu's output: {@code dx = y > 0 ? dy : 0}. */
  void reluBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n);

  /**
   * The LSTM cell's forward for one row of one step, without peepholes, for the units
   * {@code [from, to)}: replaces the gate pre-activations i, f, g, o ({@code hs} apart, from
   * {@code gOff}) by σ(i), σ(f), act(g), σ(o); saves c_{t-1} into {@code cPrev}; sets
   * {@code c = f·c + i·g} (each product rounded, then the sum), {@code actC = act(c)} and
   * {@code out = o·act(c)}, and also {@code h} unless it is null. The state rows c and h are read
   * from {@code stOff}, the step rows cPrev, actC and out from {@code sOff}. {@code tanh} says
   * whether act is tanh (else the identity). Each unit's arithmetic is the same whatever the range.
   */
  void lstmCellForward(int from, int to, int hs, boolean tanh, float[] gates, int gOff, float[] c, float[] h, int stOff,
      float[] cPrev, float[] actC, float[] out, int sOff);

  /**
   * The LSTM cell's backward for one row of one step, without peepholes: from the saved gate
   * activations i, f, g, o ({@code hs} each, from {@code gOff}), act(c_t) and c_{t-1} (from
   * {@code cOff}), and the incoming dh and dc (from {@code sOff}), writes the gradients of the four
   * gate pre-activations into {@code dGates} (from {@code gOff}) and replaces dc by dc_{t-1}.
   * {@code tanh} says whether act is tanh (else the identity); g's activation follows it.
   */
  void lstmCellBackward(int hs, boolean tanh, float[] gates, int gOff, float[] actC, float[] cPrev, int cOff,
      float[] dh, float[] dc, int sOff, float[] dGates);

  /**
   * The GRU cell's backward for one row of one step (PyTorch's form, the reset gate after the
   * product): from the saved gates r, z, n ({@code hs} each, from {@code gOff}), W_hn·h_{t-1} + b_hn
   * ({@code hn}, from {@code gOff + 2·hs}), h_{t-1} (from {@code sAt}) and the incoming dh (from
   * {@code dhOff}), writes the input-side and recurrent-side gate gradients and replaces dh by its
   * direct part, dh ⊙ z.
   */
  void gruCellBackward(int hs, float[] gates, float[] hh, int gOff, float[] hPrev, int sAt, float[] dh, int dhOff,
      float[] dGates, float[] dGatesHh);

  /**
   * {@code sums[j] += x[xOff + r·ldx + j]} for {@code j < cols}, over the rows {@code r < rows} in
   * order, each addition in double: column sums of a float matrix (bias gradients).
   */
  void addColumns(float[] x, int xOff, int ldx, int rows, int cols, double[] sums);

  /** Softmax of one row of length {@code n}, max-subtracted so it never overflows. */
  void softmax(float[] x, int xOff, float[] y, int yOff, int n);

  /**
   * {@link #softmax} in place on each of {@code rows} rows of length {@code n}, {@code ld} apart from
   * {@code off}: the same bits as a call per row.
   */
  default void softmaxRows(float[] x, int off, int ld, int rows, int n) {
    for (int r = 0; r < rows; r++) {
      softmax(x, off + r * ld, x, off + r * ld, n);
    }
  }

  /**
   * From the softmax's output: {@code dx = y ⊙ (dy - Σ_j dy_j y_j)}, the gradient of its input (dx
   * may alias dy). The sum's rounding differs between implementations.
   */
  void softmaxBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n);

  /** Log-softmax of one row: {@code y = (x - max) - log(Σ exp(x - max))}. */
  void logSoftmax(float[] x, int xOff, float[] y, int yOff, int n);

  /** The kernels chosen at start-up: SIMD when available and not disabled, scalar otherwise. */
  static Kernels active() {
    return KernelSelection.ACTIVE;
  }

  /** The scalar reference kernels, always available. */
  static Kernels scalar() {
    return KernelSelection.SCALAR;
  }

  /**
   * The SIMD kernels, or {@code null} when {@code jdk.incubator.vector} is not in this JVM. They
   * are returned even when {@code -Drecurrent4j.simd=false} turned them off for {@link #active()},
   * so that tests can compare the two.
   */
  static Kernels simd() {
    return KernelSelection.SIMD;
  }
}
