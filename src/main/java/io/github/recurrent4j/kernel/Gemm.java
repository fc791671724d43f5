package io.github.recurrent4j.kernel;

import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;

/**
 * General matrix multiply on row-major {@code float[]} with offsets and leading dimensions:
 * <pre>
 *   C = alpha · op(A) · op(B) + beta · C      op(X) = X or Xᵀ
 * </pre>
 * with {@code op(A)} of shape {@code [m, k]}, {@code op(B)} {@code [k, n]} and {@code C}
 * {@code [m, n]}. A stored untransposed is {@code [m, k]} with row stride {@code lda >= k};
 * transposed it is stored {@code [k, m]} with {@code lda >= m} (likewise B). Only C is written.
 *
 * <p>Large products pack panels of B (GotoBLAS layout) and run the micro-kernels over them. A
 * transposed A is already laid out as {@link Kernels#microKernel}'s panels with a step of lda and is
 * read in place, only a last partial panel packed; an untransposed one is packed into panels for a
 * block of at least {@value #PACK_A_MIN_COLUMNS} columns and more than {@value #IN_PLACE_MAX_DEPTH}
 * deep, else (and with a prepacked B) read by rows
 * ({@link Kernels#microKernelRowsWide}). Products with at most {@value #SMALL_M} rows (an RNN step with
 * batch 1, say) skip packing and stream B once. A few rows times many columns of a transposed B
 * stream B in place. {@link #gemmWithBias} forms a layer's {@code x·Wᵀ + b} without a pass of its
 * own over C. A B used by many products (a recurrent layer's W_hh at every step) can be packed once
 * by {@link #pack}. The packed, streamed, in-place and prepacked paths form each element as the
 * same sequence of fused multiply-adds over k, so choosing among them never changes a bit (the
 * few-rows path sums in vector lanes, with its own rounding). Work is split across
 * {@link Parallel#threads()} by whole micro-tiles, so every element is computed by the same
 * operations in the same order whatever the thread count: results are bit-identical for 1 and N
 * threads. {@code beta == 0} overwrites C without reading it, as in BLAS.
 */
public final class Gemm {
  /** Products with at most this many rows use the row-streaming kernels instead of packing. */
  public static final int SMALL_M = 4;
  /**
   * With {@code transB}, at most this many rows and at least {@link #STREAM_B_MIN_COLUMNS_PER_ROW}
   * columns per row, B is streamed, not packed.
   */
  static final int STREAM_B_MAX_M = 64;
  /**
   * Below this many columns per row the packed path wins: measured on the machine of BENCHMARKS.md,
   * streaming was 1.5-2x slower for 64x64 (attention's Q·Kᵀ per head) and 64x128, even at 32x128,
   * and ahead from 32x256 on (an RNN step's h·W_hhᵀ, 32x512).
   */
  static final int STREAM_B_MIN_COLUMNS_PER_ROW = 8;
  /** Depth of a packed block (the k extent that stays in cache). */
  static final int KC = 256;
  /** Rows of A packed at once; a multiple of every kernel's {@code mr()}. */
  static final int MC = 96;
  /** Columns of B packed at once; a multiple of every kernel's {@code nr()}. */
  static final int NC = 512;
  /** The packed path packs an untransposed A for blocks of at least this many columns of C (and deep enough). */
  static final int PACK_A_MIN_COLUMNS = 256;
  /**
   * The packed path keeps an untransposed A in place for a depth block of at most this many: then
   * the pair of B panels each tile of {@link #rowsInPlace} reads (32 KB with 512-bit vectors) stays
   * in a 48 KB L1 cache; at depth 256 (64 KB) it does not. On the Intel Xeon (model 207) of
   * BENCHMARKS.md, once the kernels stopped loading a first block's C, in place was as fast or
   * faster at depth 128 and below (2048×384×128 Bᵀ by 1-7%, 1600×384×64 Bᵀ by 5-6%, 1600×512×128
   * Bᵀ level) and packing at depth 256 (1024×384×1024 by 2-18%, 1024×300×512 Bᵀ by 6-23%): 1
   * thread, builds alternating call by call in one JVM, both orders.
   */
  static final int IN_PLACE_MAX_DEPTH = 128;
  /**
   * Below this many multiply-adds (m·n·k) a packed or streamed product runs on one thread, and
   * below {@link #ROWS_PARALLEL_THRESHOLD} a few-rows product does: where two threads start to win
   * on the 2-core machine of BENCHMARKS.md ({@code bench/gemm-threshold} measures it).
   * {@code -Drecurrent4j.gemm.parallelThreshold=N} sets both, for such measurements.
   */
  static final long PARALLEL_THRESHOLD = Long.getLong("recurrent4j.gemm.parallelThreshold", 1L << 19);
  static final long ROWS_PARALLEL_THRESHOLD = Long.getLong("recurrent4j.gemm.parallelThreshold", 1L << 18);

  /**
   * As {@link #PARALLEL_THRESHOLD} for a product with a prepacked B (a recurrent step), which packs
   * nothing and so gains less from a second thread than it pays to hand over half: on the machine
   * of BENCHMARKS.md, W1-W3 and W6 on 2 threads were as fast or faster (W3 by about 10%) with their
   * per-step products (0.5-2 million multiply-adds) on one thread. Set with
   * {@code -Drecurrent4j.gemm.prepackedParallelThreshold=N}.
   */
  static final long PREPACKED_PARALLEL_THRESHOLD = Long.getLong("recurrent4j.gemm.prepackedParallelThreshold",
      1L << 22);
  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

  private Gemm() {}

  /** Per-thread packing buffers, allocated once and grown only when a kernel needs more. */
  private static final class Workspace {
    float[] ap = new float[MC * KC]; // packed A block: MC/mr panels of (KC, mr)
    float[] bp = new float[0]; // packed B block: NC/nr panels of (KC, nr), from bpStart()
    private final Object[] bpHolder = {bp}; // for CacheLines
    float[] tile = new float[0]; // (mr, 2·nr) for edge tiles
    float[] row = new float[0]; // (k) one row of a transposed A
    float[] zeros = new float[0]; // a row of zeros a micro-kernel starts a tile from; never written

    /** The packed-B buffer, with room for {@code size} floats from {@link #bpStart}. */
    float[] bp(int size) {
      if (bp.length < size + CacheLines.room()) {
        bp = new float[size + CacheLines.room()];
        bpHolder[0] = bp;
      }
      return bp;
    }

    /** Where in {@link #bp} a cache line starts now (0 where that is not known): the packed panels' start. */
    int bpStart() {
      return CacheLines.lineStart(bpHolder);
    }

    float[] tile(int size) {
      if (tile.length < size) {
        tile = new float[size];
      }
      return tile;
    }

    float[] row(int size) {
      if (row.length < size) {
        row = new float[size];
      }
      return row;
    }

    float[] zeros(int size) {
      if (zeros.length < size) {
        zeros = new float[size];
      }
      return zeros;
    }
  }

  /** {@code C = alpha·op(A)·op(B) + beta·C} with the {@linkplain Kernels#active() active} kernels. */
  public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
      int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
    gemm(Kernels.active(), transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  }

  /** {@code C = alpha·op(A)·op(B) + beta·C} with the given kernels. */
  public static void gemm(Kernels kernels, boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
    checkArguments(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    if (!applyBeta(m, n, k, alpha, beta, c, cOff, ldc)) {
      return;
    }
    product(kernels, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta == 0f, null, 0, c, cOff, ldc);
  }

  /**
   * {@code C = bias + alpha·op(A)·op(B)}: every row of C is {@code bias[biasOff .. biasOff+n)} plus
   * that row of the product, as a layer's {@code x·Wᵀ + b}. The bits are those of filling each row of
   * C with the bias and calling {@link #gemm} with beta 1, but without a pass of its own over C: the
   * packed path's micro-kernels start each tile's rows from the bias instead of from C (edge tiles add
   * the bias as they are written), on the thread that computes it. C's previous contents are never read.
   */
  public static void gemmWithBias(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a,
      int aOff, int lda, float[] b, int bOff, int ldb, float[] bias, int biasOff, float[] c, int cOff, int ldc) {
    gemmWithBias(Kernels.active(), transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, bias, biasOff, c,
        cOff, ldc);
  }

  /** As above, with the given kernels. */
  public static void gemmWithBias(Kernels kernels, boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] bias, int biasOff, float[] c, int cOff,
      int ldc) {
    checkArguments(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    if (bias == null) {
      throw new IllegalArgumentException("Gemm: the bias must not be null (use gemm with beta 0 for none)");
    }
    if (biasOff < 0 || biasOff > bias.length - n) {
      throw new IllegalArgumentException("Gemm: the bias needs " + n + " elements from offset " + biasOff
          + " but the array has " + bias.length);
    }
    if (m == 0 || n == 0) {
      return;
    }
    if (bias == c && cOff < biasOff + n && biasOff < cOff + (long) (m - 1) * ldc + n) {
      throw new IllegalArgumentException("Gemm: C overlaps the bias in the same array; the output must not alias an"
          + " input");
    }
    if (k == 0 || alpha == 0f || !packs(transA, transB, m, n)) {
      // no product, or a path without tiles of C to fill: the bias rows, then the product added to them
      for (int i = 0; i < m; i++) {
        System.arraycopy(bias, biasOff, c, cOff + i * ldc, n);
      }
      if (k > 0 && alpha != 0f) {
        product(kernels, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, false, null, 0, c, cOff, ldc);
      }
      return;
    }
    product(kernels, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, true, bias, biasOff, c, cOff, ldc);
  }

  /** Whether {@link #product} takes the packed path for this shape (else a streamed or few-rows one). */
  private static boolean packs(boolean transA, boolean transB, int m, int n) {
    return !streamsB(transB, m, n) && !streamsA(transA, m, n) && m > SMALL_M;
  }

  private static boolean streamsB(boolean transB, int m, int n) {
    return transB && m > SMALL_M && m <= STREAM_B_MAX_M && (long) m * STREAM_B_MIN_COLUMNS_PER_ROW <= n;
  }

  private static boolean streamsA(boolean transA, int m, int n) {
    return !transA && m > SMALL_M && n <= STREAM_B_MAX_M && m > n;
  }

  /**
   * The product after beta: C's tiles start from zero when {@code zero}, from the bias row when
   * {@code bias} is given (then {@code zero} is set and the path is the packed one), else from C.
   */
  private static void product(Kernels kernels, boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, boolean zero, float[] bias, int biasOff, float[] c,
      int cOff, int ldc) {
    if (streamsB(transB, m, n)) {
      streamedB(kernels, transA, m, n, k, alpha, zero, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, false);
      return;
    }
    if (streamsA(transA, m, n)) {
      // Tall A, few columns (dx = dGates·W_ih): Cᵀ = op(B)ᵀ·Aᵀ streams A's rows in place and packs
      // only the narrow op(B), where the packed path would copy all of A for a few columns of work.
      streamedB(kernels, !transB, n, m, k, alpha, zero, b, bOff, ldb, a, aOff, lda, c, cOff, ldc, true);
      return;
    }
    boolean small = m <= SMALL_M;
    boolean splitRows = !small && m > n;
    int unit = small ? 64 : kernels.nr();
    int units = splitRows ? (m + kernels.mr() - 1) / kernels.mr() : (n + unit - 1) / unit;
    long work = (long) m * n * k;
    int tasks = work < (small ? ROWS_PARALLEL_THRESHOLD : PARALLEL_THRESHOLD) ? 1
        : Math.min(Parallel.tasksAvailable(), units);
    if (tasks <= 1) {
      run(kernels, small, transA, transB, m, 0, n, k, alpha, zero, a, aOff, lda, b, bOff, ldb, bias, biasOff, c, cOff,
          ldc);
      return;
    }
    int parts = tasks;
    if (splitRows) {
      Parallel.run(parts, task -> {
        int i0 = Math.min(m, chunkStart(task, parts, units) * kernels.mr());
        int i1 = Math.min(m, chunkStart(task + 1, parts, units) * kernels.mr());
        if (i1 > i0) {
          int rowA = transA ? aOff + i0 : aOff + i0 * lda;
          run(kernels, false, transA, transB, i1 - i0, 0, n, k, alpha, zero, a, rowA, lda, b, bOff, ldb, bias,
              biasOff, c, cOff + i0 * ldc, ldc);
        }
      });
    } else {
      Parallel.run(parts, task -> {
        int j0 = Math.min(n, chunkStart(task, parts, units) * unit);
        int j1 = Math.min(n, chunkStart(task + 1, parts, units) * unit);
        if (j1 > j0) {
          run(kernels, small, transA, transB, m, j0, j1, k, alpha, zero, a, aOff, lda, b, bOff, ldb, bias, biasOff, c,
              cOff, ldc);
        }
      });
    }
  }

  /**
   * {@code C += alpha·op(A)·Bᵀ} for few rows and many columns (an RNN step: {@code h·W_hhᵀ}), formed
   * as {@code Cᵀ = B·op(A)ᵀ}: the large B is streamed in place by {@link Kernels#microKernelRowsWide}
   * (a last odd panel of op(A)ᵀ by {@link Kernels#microKernelRows}), never packed or transposed,
   * and only the small op(A) is packed. Each tile goes through a small buffer and is added into C
   * transposed, with the same {@code c + (alpha * sum)} rounding as the packed path. Rows of B are
   * split across threads in whole tiles.
   */
  private static void streamedB(Kernels kernels, boolean transA, int m, int n, int k, float alpha, boolean zero,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean transposedC) {
    final int mr = kernels.mr();
    int blocks = (n + mr - 1) / mr;
    long work = (long) m * n * k;
    int tasks = work < PARALLEL_THRESHOLD ? 1 : Math.min(Parallel.tasksAvailable(), blocks);
    Parallel.run(tasks, task -> {
      int j0 = Math.min(n, chunkStart(task, tasks, blocks) * mr);
      int j1 = Math.min(n, chunkStart(task + 1, tasks, blocks) * mr);
      if (j1 > j0) {
        streamedBColumns(kernels, transA, m, j0, j1, k, alpha, zero, a, aOff, lda, b, bOff, ldb, c, cOff, ldc,
            transposedC);
      }
    });
  }

  /**
   * Columns {@code [j0, j1)} of {@link #streamedB}; with {@code transposedC} the product is stored
   * transposed, {@code C[j][i]}, which is how a tall {@code A·B} is formed as its transpose.
   */
  private static void streamedBColumns(Kernels kernels, boolean transA, int m, int j0, int j1, int k, float alpha,
      boolean zero, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
      boolean transposedC) {
    final int mr = kernels.mr();
    final int nr = kernels.nr();
    Workspace ws = WORKSPACE.get();
    int mPadded = (m + nr - 1) / nr * nr;
    float[] ap = ws.bp(KC * mPadded); // op(A)ᵀ as panels of (kc, nr), from apOff
    int apOff = ws.bpStart();
    float[] tile = ws.tile(2 * mr * nr);
    float[] edgeRows = ws.row(mr * KC); // (mr, kc) zero-padded last rows of B
    float[] zeros = ws.zeros(2 * nr); // where each tile starts
    for (int pc = 0; pc < k; pc += KC) {
      int kc = Math.min(KC, k - pc);
      boolean first = zero && pc == 0;
      packB(!transA, a, aOff, lda, pc, kc, 0, m, nr, ap, apOff);
      for (int j = j0; j < j1; j += mr) {
        int rows = Math.min(mr, j1 - j);
        float[] rowData = b;
        int rowOff = bOff + j * ldb + pc;
        int rowStride = ldb;
        if (rows < mr) {
          Arrays.fill(edgeRows, 0, mr * kc, 0f);
          for (int r = 0; r < rows; r++) {
            System.arraycopy(b, bOff + (j + r) * ldb + pc, edgeRows, r * kc, kc);
          }
          rowData = edgeRows;
          rowOff = 0;
          rowStride = kc;
        }
        for (int i0 = 0; i0 < m; i0 += 2 * nr) { // two panels of op(A)ᵀ a tile, a last odd one alone
          boolean pair = i0 + nr < m;
          int width = pair ? 2 * nr : nr;
          int cols = Math.min(width, m - i0);
          if (pair) {
            kernels.microKernelRowsWide(kc, rowData, rowOff, rowStride, ap, apOff + i0 * kc, apOff + (i0 + nr) * kc,
                alpha, zeros, 0, tile, 0, width);
          } else {
            kernels.microKernelRows(kc, rowData, rowOff, rowStride, ap, apOff + i0 * kc, alpha, zeros, 0, tile, 0,
                width);
          }
          if (transposedC) {
            for (int r = 0; r < rows; r++) {
              int at = cOff + (j + r) * ldc + i0;
              for (int ii = 0; ii < cols; ii++) {
                c[at + ii] = (first ? 0f : c[at + ii]) + tile[r * width + ii];
              }
            }
          } else {
            for (int ii = 0; ii < cols; ii++) {
              int at = cOff + (i0 + ii) * ldc + j;
              for (int r = 0; r < rows; r++) {
                c[at + r] = (first ? 0f : c[at + r]) + tile[r * width + ii];
              }
            }
          }
        }
      }
    }
  }

  private static int chunkStart(int task, int tasks, int units) {
    return (int) ((long) units * task / tasks);
  }

  /** Columns {@code [j0, j1)} of C, all m rows. */
  private static void run(Kernels kernels, boolean small, boolean transA, boolean transB, int m, int j0, int j1, int k,
      float alpha, boolean zero, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] bias, int biasOff,
      float[] c, int cOff, int ldc) {
    if (small) {
      rows(kernels, transA, transB, m, j0, j1, k, alpha, zero, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    } else {
      packed(kernels, transA, transB, m, j0, j1, k, alpha, zero, a, aOff, lda, b, bOff, ldb, bias, biasOff, c, cOff,
          ldc);
    }
  }

  /** Few rows: each row of op(A) times op(B), streaming B without packing. */
  private static void rows(Kernels kernels, boolean transA, boolean transB, int m, int j0, int j1, int k, float alpha,
      boolean zero, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    Workspace ws = WORKSPACE.get();
    for (int i = 0; i < m; i++) {
      float[] rowData = a;
      int rowOff = aOff + i * lda;
      if (transA) {
        rowData = ws.row(k);
        for (int p = 0; p < k; p++) {
          rowData[p] = a[aOff + p * lda + i];
        }
        rowOff = 0;
      }
      int cRow = cOff + i * ldc + j0;
      if (zero) {
        Arrays.fill(c, cRow, cRow + j1 - j0, 0f);
      }
      if (transB) {
        kernels.rowDotRows(k, j1 - j0, alpha, rowData, rowOff, b, bOff + j0 * ldb, ldb, c, cRow);
      } else {
        kernels.rowTimesMatrix(k, j1 - j0, alpha, rowData, rowOff, b, bOff + j0, ldb, c, cRow);
      }
    }
  }

  /** The blocked, packed product for columns {@code [j0, j1)} of C; {@code bias} is indexed by C's column. */
  private static void packed(Kernels kernels, boolean transA, boolean transB, int m, int j0, int j1, int k,
      float alpha, boolean zero, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] bias, int biasOff,
      float[] c, int cOff, int ldc) {
    final int mr = kernels.mr();
    final int nr = kernels.nr();
    Workspace ws = WORKSPACE.get();
    float[] ap = ws.ap;
    float[] bp = ws.bp(KC * NC);
    int bpOff = ws.bpStart();
    for (int jc = j0; jc < j1; jc += NC) {
      int nc = Math.min(NC, j1 - jc);
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        packB(transB, b, bOff, ldb, pc, kc, jc, nc, nr, bp, bpOff);
        for (int ic = 0; ic < m; ic += MC) {
          int mc = Math.min(MC, m - ic);
          boolean first = zero && pc == 0;
          // A transposed A's full panels are read in place, only a last partial one packed. An
          // untransposed A is packed, for microKernel: read in place by rows (rowsInPlace), its
          // loop has four row offsets to step and ran at 65-70% of this core's peak on an Intel Xeon
          // (model 207) where microKernel's ran at 95-100%; packing made a 512³, a 1024³ and a
          // 1600x512x128 Bᵀ product 1.25-1.31, 1.26 and 1.16 times as fast there (1 thread, one JVM,
          // builds alternating). On the AMD EPYC of earlier runs, in place had been 0-12% faster.
          // Packing is paid once per element of A and repaid over the block's columns, so a block
          // narrower than PACK_A_MIN_COLUMNS keeps A in place (packing W7's n = 128 products took 10%
          // of its JFR samples). So does a block at most IN_PLACE_MAX_DEPTH deep, whose two panels of
          // B for rowsInPlace fit the L1 cache with room for A's rows.
          int inPlace = transA || nc < PACK_A_MIN_COLUMNS || kc <= IN_PLACE_MAX_DEPTH ? mc / mr * mr : 0;
          packA(transA, a, aOff, lda, ic + inPlace, mc - inPlace, pc, kc, mr, ap);
          int at = transA ? aOff + pc * lda + ic : aOff + ic * lda + pc;
          macroKernel(kernels, inPlace, transA, mc, nc, kc, alpha, first, first ? bias : null, biasOff + jc, a, at,
              lda, ap, bp, bpOff, c, cOff + ic * ldc + jc, ldc, ws);
        }
      }
    }
  }

  /**
   * {@code c[r, j] = c[r, j] + tile[r, j]} for the tile's first rows and columns; with {@code zero}
   * {@code 0 + tile[r, j]}, with a {@code bias} {@code bias[biasCol + j] + tile[r, j]}: the edge tiles
   * of {@link #macroKernel}, which start from zeros in a buffer.
   */
  private static void addTile(float[] tile, int nr, int rows, int cols, boolean zero, float[] bias, int biasCol,
      float[] c, int cTile, int ldc) {
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < cols; j++) {
        int at = cTile + r * ldc + j;
        c[at] = (bias != null ? bias[biasCol + j] : zero ? 0f : c[at]) + tile[r * nr + j];
      }
    }
  }

  /**
   * {@code C[mc, nc] += alpha · A·B} over one block, B as panels of (kc, nr) from {@code bpOff} in
   * {@code bp}. The first {@code inPlace} rows of op(A) (whole panels) are read where they are, from
   * {@code a[aOff]}: with {@code transA} by {@link Kernels#microKernel} with a step of {@code lda},
   * else by {@link #rowsInPlace}; the rest are panels of (kc, mr) from 0 in {@code ap}. Edge tiles
   * go through a buffer. With {@code zero}, or a {@code bias} (indexed by the block's column from
   * {@code biasCol}), C's old contents are not read: its rows start from zeros or from the bias.
   */
  private static void macroKernel(Kernels kernels, int inPlace, boolean transA, int mc, int nc, int kc, float alpha,
      boolean zero, float[] bias, int biasCol, float[] a, int aOff, int lda, float[] ap, float[] bp, int bpOff,
      float[] c, int cOff, int ldc, Workspace ws) {
    final int mr = kernels.mr();
    final int nr = kernels.nr();
    int first = 0; // the first row left to the loop below
    if (!transA && inPlace > 0) {
      rowsInPlace(kernels, inPlace, nc, kc, alpha, zero, bias, biasCol, a, aOff, lda, bp, bpOff, c, cOff, ldc, ws);
      first = inPlace;
    }
    float[] zeros = ws.zeros(2 * nr);
    for (int jr = 0; jr < nc; jr += nr) {
      int nTile = Math.min(nr, nc - jr);
      int bAt = bpOff + jr * kc;
      for (int ir = first; ir < mc; ir += mr) {
        int mTile = Math.min(mr, mc - ir);
        int cTile = cOff + ir * ldc + jr;
        boolean full = mTile == mr && nTile == nr;
        float[] out = full ? c : ws.tile(mr * nr);
        float[] from = tileStart(full, zero, bias, zeros);
        int fromOff = startOffset(full, bias, biasCol + jr);
        if (ir < inPlace) { // a transposed A in place (an untransposed one went to rowsInPlace)
          kernels.microKernel(kc, a, aOff + ir, lda, bp, bAt, alpha, from, fromOff, out, full ? cTile : 0,
              full ? ldc : nr);
        } else {
          kernels.microKernel(kc, ap, (ir - inPlace) * kc, mr, bp, bAt, alpha, from, fromOff, out, full ? cTile : 0,
              full ? ldc : nr);
        }
        if (!full) {
          addTile(out, nr, mTile, nTile, zero, bias, biasCol + jr, c, cTile, ldc);
        }
      }
    }
  }

  /**
   * The first {@code rows} rows of {@link #macroKernel}'s block (whole panels) with an untransposed A
   * read in place: tiles of mr rows by two panels of B ({@link Kernels#microKernelRowsWide}), a last
   * odd panel by {@link Kernels#microKernelRows}.
   */
  private static void rowsInPlace(Kernels kernels, int rows, int nc, int kc, float alpha, boolean zero, float[] bias,
      int biasCol, float[] a, int aOff, int lda, float[] bp, int bpOff, float[] c, int cOff, int ldc, Workspace ws) {
    final int mr = kernels.mr();
    final int nr = kernels.nr();
    float[] zeros = ws.zeros(2 * nr);
    for (int jr = 0; jr < nc; jr += 2 * nr) {
      boolean pair = jr + nr < nc; // a second panel, whole or not
      int width = pair ? 2 * nr : nr;
      int cols = Math.min(width, nc - jr);
      int b0 = bpOff + jr * kc;
      boolean full = cols == width;
      float[] from = tileStart(full, zero, bias, zeros);
      int fromOff = startOffset(full, bias, biasCol + jr);
      for (int ir = 0; ir < rows; ir += mr) {
        int cTile = cOff + ir * ldc + jr;
        float[] out = full ? c : ws.tile(mr * width);
        int at = full ? cTile : 0;
        int ld = full ? ldc : width;
        if (pair) {
          kernels.microKernelRowsWide(kc, a, aOff + ir * lda, lda, bp, b0, b0 + nr * kc, alpha, from, fromOff, out, at,
              ld);
        } else {
          kernels.microKernelRows(kc, a, aOff + ir * lda, lda, bp, b0, alpha, from, fromOff, out, at, ld);
        }
        if (!full) {
          addTile(out, width, mr, cols, zero, bias, biasCol + jr, c, cTile, ldc);
        }
      }
    }
  }

  /**
   * The row a micro-kernel starts a tile from ({@link Kernels#microKernel}'s {@code start}): an edge
   * tile's buffer from zeros; a full tile of C from the bias, from zeros with {@code zero}, else from
   * C itself (null).
   */
  private static float[] tileStart(boolean full, boolean zero, float[] bias, float[] zeros) {
    return !full ? zeros : bias != null ? bias : zero ? zeros : null;
  }

  /** Where in {@link #tileStart}'s row the tile's first column starts: the bias's column, else 0. */
  private static int startOffset(boolean full, float[] bias, int biasCol) {
    return full && bias != null ? biasCol : 0;
  }

  /**
   * op(B) packed once for many products with it, as a recurrent layer's W_hh serves every step of a
   * pass: all of it in the panels the packed path would make again at every call. Made by
   * {@link #pack}; used by {@link #gemm(int, float, float[], int, int, PackedB, float, float[], int, int)}.
   */
  public static final class PackedB {
    private final Kernels kernels;
    private final int k;
    private final int n;
    private final int nPadded; // n rounded up to whole panels of nr
    private final float[] data; // for each depth block pc: its (kc, nr) panels, from start + pc·nPadded
    private final Object[] self; // {data}: for CacheLines
    private int start; // where a cache line started in data when it was last packed (0 where not known)

    private PackedB(Kernels kernels, int k, int n) {
      this.kernels = kernels;
      this.k = k;
      this.n = n;
      this.nPadded = (n + kernels.nr() - 1) / kernels.nr() * kernels.nr();
      this.data = new float[Math.toIntExact((long) k * nPadded + CacheLines.room())];
      this.self = new Object[] {data};
    }

    /** The depth of op(B) (its rows). */
    public int k() {
      return k;
    }

    /** The width of op(B) (its columns). */
    public int n() {
      return n;
    }
  }

  /**
   * Packs {@code op(B)} ({@code [k, n]}) for the {@linkplain Kernels#active() active} kernels,
   * reusing {@code reuse}'s storage when it has the same kernels and shape (it may be null).
   */
  public static PackedB pack(boolean transB, int k, int n, float[] b, int bOff, int ldb, PackedB reuse) {
    return pack(Kernels.active(), transB, k, n, b, bOff, ldb, reuse);
  }

  /** As above, for the given kernels: the product with it runs on them. */
  public static PackedB pack(Kernels kernels, boolean transB, int k, int n, float[] b, int bOff, int ldb,
      PackedB reuse) {
    if (k < 0 || n < 0 || b == null) {
      throw new IllegalArgumentException("Gemm.pack: sizes must be >= 0 and b not null, got k=" + k + ", n=" + n);
    }
    checkMatrix("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
    PackedB packed = reuse != null && reuse.kernels == kernels && reuse.k == k && reuse.n == n ? reuse
        : new PackedB(kernels, k, n);
    packed.start = CacheLines.lineStart(packed.self);
    for (int pc = 0; pc < k; pc += KC) {
      packB(transB, b, bOff, ldb, pc, Math.min(KC, k - pc), 0, n, kernels.nr(), packed.data,
          packed.start + pc * packed.nPadded);
    }
    return packed;
  }

  /**
   * {@code C = alpha·A·op(B) + beta·C} with op(B) packed by {@link #pack}, on the kernels it was
   * packed for: A untransposed {@code [m, k]}. For more than {@value #SMALL_M} rows it gives the bits
   * of the plain call; it packs only A, allocates nothing and splits columns across threads as the
   * plain call does.
   */
  public static void gemm(int m, float alpha, float[] a, int aOff, int lda, PackedB b, float beta, float[] c,
      int cOff, int ldc) {
    if (b == null) {
      throw new IllegalArgumentException("Gemm: the packed B must not be null");
    }
    int n = b.n;
    int k = b.k;
    checkArguments(false, false, m, n, k, a, aOff, lda, b.data, 0, Math.max(1, n), c, cOff, ldc);
    if (!applyBeta(m, n, k, alpha, beta, c, cOff, ldc)) {
      return;
    }
    boolean zero = beta == 0f;
    int nr = b.kernels.nr();
    int panels = (n + nr - 1) / nr;
    int tasks = (long) m * n * k < PREPACKED_PARALLEL_THRESHOLD ? 1 : Math.min(Parallel.tasksAvailable(), panels);
    if (tasks <= 1) {
      prepacked(m, 0, n, alpha, zero, a, aOff, lda, b, c, cOff, ldc);
      return;
    }
    Parallel.run(tasks, task -> {
      int j0 = Math.min(n, chunkStart(task, tasks, panels) * nr);
      int j1 = Math.min(n, chunkStart(task + 1, tasks, panels) * nr);
      if (j1 > j0) {
        prepacked(m, j0, j1, alpha, zero, a, aOff, lda, b, c, cOff, ldc);
      }
    });
  }

  /** Columns {@code [j0, j1)} of the product with a packed B; {@code j0} is on a panel boundary. */
  private static void prepacked(int m, int j0, int j1, float alpha, boolean zero, float[] a, int aOff, int lda,
      PackedB b, float[] c, int cOff, int ldc) {
    Kernels kernels = b.kernels;
    Workspace ws = WORKSPACE.get();
    float[] ap = ws.ap;
    for (int pc = 0; pc < b.k; pc += KC) {
      int kc = Math.min(KC, b.k - pc);
      for (int ic = 0; ic < m; ic += MC) {
        int mc = Math.min(MC, m - ic);
        // A (a batch of states, a few rows) is read in place but for a last partial panel: packing it at
        // every step of a recurrence cost as much as a fifth of a small layer's training step
        int inPlace = mc / kernels.mr() * kernels.mr();
        packA(false, a, aOff, lda, ic + inPlace, mc - inPlace, pc, kc, kernels.mr(), ap);
        macroKernel(kernels, inPlace, false, mc, j1 - j0, kc, alpha, zero && pc == 0, null, 0, a, aOff + ic * lda + pc,
            lda, ap, b.data, b.start + pc * b.nPadded + j0 * kc, c, cOff + ic * ldc + j0, ldc, ws);
      }
    }
  }

  /** Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] as panels of (kc, mr), zero-padding the last panel. */
  private static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, int mr,
      float[] ap) {
    for (int ir = 0; ir < mc; ir += mr) {
      int rows = Math.min(mr, mc - ir);
      int panel = ir * kc;
      if (rows < mr) {
        Arrays.fill(ap, panel, panel + kc * mr, 0f);
      }
      if (transA) {
        // op(A)'s rows are A's columns: copy the panel's row of A at each depth p, a contiguous run
        for (int p = 0, src = aOff + p0 * lda + i0 + ir; p < kc; p++, src += lda) {
          System.arraycopy(a, src, ap, panel + p * mr, rows);
        }
      } else {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
          interleave4(a, aOff + (i0 + ir + r) * lda + p0, lda, kc, ap, panel + r, mr);
        }
        for (; r < rows; r++) {
          for (int p = 0, src = aOff + (i0 + ir + r) * lda + p0; p < kc; p++, src++) {
            ap[panel + p * mr + r] = a[src];
          }
        }
      }
    }
  }

  /**
   * Four rows of {@code src} from {@code from} (row stride {@code ld}), {@code kc} values each, into
   * a panel: value p of row q goes to {@code dst[at + p*step + q]}. Four rows at a time, so each depth
   * writes four neighbouring floats (packing an untransposed A or a transposed B).
   */
  private static void interleave4(float[] src, int from, int ld, int kc, float[] dst, int at, int step) {
    int s1 = from + ld;
    int s2 = s1 + ld;
    int s3 = s2 + ld;
    for (int p = 0; p < kc; p++, at += step) {
      dst[at] = src[from + p];
      dst[at + 1] = src[s1 + p];
      dst[at + 2] = src[s2 + p];
      dst[at + 3] = src[s3 + p];
    }
  }

  /** Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] as panels of (kc, nr), zero-padding the last panel. */
  private static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc, int nr,
      float[] bp, int bpOff) {
    for (int jr = 0; jr < nc; jr += nr) {
      int cols = Math.min(nr, nc - jr);
      int panel = bpOff + jr * kc;
      if (cols < nr) {
        Arrays.fill(bp, panel, panel + kc * nr, 0f);
      }
      if (transB) {
        int j = 0;
        for (; j + 4 <= cols; j += 4) {
          interleave4(b, bOff + (j0 + jr + j) * ldb + p0, ldb, kc, bp, panel + j, nr);
        }
        for (; j < cols; j++) {
          for (int p = 0, src = bOff + (j0 + jr + j) * ldb + p0; p < kc; p++, src++) {
            bp[panel + p * nr + j] = b[src];
          }
        }
      } else {
        for (int p = 0; p < kc; p++) {
          System.arraycopy(b, bOff + (p0 + p) * ldb + j0 + jr, bp, panel + p * nr, cols);
        }
      }
    }
  }

  /**
   * Applies beta to C ahead of the product and says whether there is a product to add. With none
   * (an empty C, k = 0 or alpha = 0) C becomes beta·C here. With one, beta 0 does nothing here:
   * the packed paths' micro-kernels start each tile's first block from zeros instead of loading C
   * (C + A·B on zeros, to the bit), and the other paths overwrite C's rows as they reach them. Not
   * clearing and loading C's tiles saved 3-5% of W7's 2048×384×128 product and 3% of its
   * 2048×128×384 on 1 thread (Intel Xeon, model 207; builds alternating call by call in one JVM): a
   * C too large for the cache was cleared from memory and then loaded again.
   */
  private static boolean applyBeta(int m, int n, int k, float alpha, float beta, float[] c, int cOff, int ldc) {
    if (m == 0 || n == 0) {
      return false;
    }
    boolean product = k > 0 && alpha != 0f;
    if (!product || beta != 0f) {
      scale(m, n, beta, c, cOff, ldc);
    }
    return product;
  }

  private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
    if (beta == 1f) {
      return;
    }
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      if (beta == 0f) {
        Arrays.fill(c, row, row + n, 0f);
      } else {
        for (int j = row; j < row + n; j++) {
          c[j] *= beta;
        }
      }
    }
  }

  private static void checkArguments(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException("Gemm: sizes must be >= 0, got m=" + m + ", n=" + n + ", k=" + k);
    }
    if (a == null || b == null || c == null) {
      throw new IllegalArgumentException("Gemm: arrays must not be null (a=" + (a == null ? "null" : "ok") + ", b="
          + (b == null ? "null" : "ok") + ", c=" + (c == null ? "null" : "ok") + ")");
    }
    long aEnd = checkMatrix("A", a, aOff, lda, transA ? k : m, transA ? m : k);
    long bEnd = checkMatrix("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
    long cEnd = checkMatrix("C", c, cOff, ldc, m, n);
    if (m > 0 && n > 0 && k > 0) {
      if (c == a && cOff < aEnd && aOff < cEnd) {
        throw new IllegalArgumentException("Gemm: C overlaps A in the same array; the output must not alias an input");
      }
      if (c == b && cOff < bEnd && bOff < cEnd) {
        throw new IllegalArgumentException("Gemm: C overlaps B in the same array; the output must not alias an input");
      }
    }
  }

  /** Checks a stored [rows, cols] matrix and returns one past its last element. */
  private static long checkMatrix(String name, float[] x, int off, int ld, int rows, int cols) {
    if (off < 0) {
      throw new IllegalArgumentException("Gemm: offset of " + name + " must be >= 0, got " + off);
    }
    if (ld < Math.max(1, cols)) {
      throw new IllegalArgumentException("Gemm: leading dimension of " + name + " must be >= " + Math.max(1, cols)
          + " (its stored row length), got " + ld);
    }
    if (rows == 0 || cols == 0) {
      return off;
    }
    long end = off + (long) (rows - 1) * ld + cols;
    if (end > x.length) {
      throw new IllegalArgumentException("Gemm: " + name + " stored as [" + rows + ", " + cols + "] with offset " + off
          + " and leading dimension " + ld + " needs " + end + " elements but the array has " + x.length);
    }
    return end;
  }

  /**
   * The product of two rank-2 tensors, {@code op(a) · op(b)}, as a new tensor.
   *
   * @throws IllegalArgumentException when the inner dimensions differ or a tensor is not rank 2
   */
  public static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
    if (a.rank() != 2 || b.rank() != 2) {
      throw new IllegalArgumentException("Gemm.matmul: needs rank-2 tensors, got " + a.shapeString() + " and "
          + b.shapeString());
    }
    int m = transA ? a.dim(1) : a.dim(0);
    int k = transA ? a.dim(0) : a.dim(1);
    int kb = transB ? b.dim(1) : b.dim(0);
    int n = transB ? b.dim(0) : b.dim(1);
    if (k != kb) {
      throw new IllegalArgumentException("Gemm.matmul: inner dimensions differ: op(a) is [" + m + ", " + k
          + "] and op(b) is [" + kb + ", " + n + "]");
    }
    Tensor c = Tensor.zeros(m, n);
    gemm(transA, transB, m, n, k, 1f, a.data(), 0, Math.max(1, a.dim(1)), b.data(), 0, Math.max(1, b.dim(1)), 0f,
        c.data(), 0, Math.max(1, n));
    return c;
  }
}
