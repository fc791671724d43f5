package io.github.recurrent4j.kernel;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.testing.KernelsUnderTest;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ElementwiseKernelsTest {
  static Stream<Kernels> kernels() {
    return KernelsUnderTest.all();
  }

  /** Lengths that cover empty, shorter than a vector, exact multiples and tails of every width up to 512 bits. */
  static final int[] LENGTHS = {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257};

  static float[] random(Rng rng, int n, double scale) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (scale * rng.nextGaussian());
    }
    return x;
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void activationsMatchDoublePrecisionOnRandomLengthsAndOffsets(Kernels k) {
    Rng rng = new Rng(1);
    for (int n : LENGTHS) {
      int off = rng.nextInt(5);
      float[] x = random(rng, n + off, 4);
      float[] sig = new float[n];
      float[] th = new float[n];
      float[] re = new float[n];
      float[] expSig = new float[n];
      float[] expTh = new float[n];
      float[] expRe = new float[n];
      for (int i = 0; i < n; i++) {
        double v = x[off + i];
        expSig[i] = (float) (1 / (1 + Math.exp(-v)));
        expTh[i] = (float) Math.tanh(v);
        expRe[i] = (float) Math.max(v, 0);
      }
      k.sigmoid(x, off, sig, 0, n);
      k.tanh(x, off, th, 0, n);
      k.relu(x, off, re, 0, n);
      assertClose(k.name() + " sigmoid n=" + n, sig, expSig, 1e-7, 4e-7);
      assertClose(k.name() + " tanh n=" + n, th, expTh, 1e-7, 4e-7);
      assertClose(k.name() + " relu n=" + n, re, expRe, 0, 0);
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void activationsStayFiniteAndSaturateAtExtremes(Kernels k) {
    float[] x = {1e4f, -1e4f, 88.8f, -88.8f, 1e-30f, -1e-30f, 0f, -0f, Float.MAX_VALUE, -Float.MAX_VALUE,
        30f, -30f, 1e4f, -1e4f, 5f, -5f, 1e4f};
    float[] sig = new float[x.length];
    float[] th = new float[x.length];
    k.sigmoid(x, 0, sig, 0, x.length);
    k.tanh(x, 0, th, 0, x.length);
    for (int i = 0; i < x.length; i++) {
      assertThat(sig[i]).as("sigmoid(%s)", x[i]).isBetween(0f, 1f);
      assertThat(th[i]).as("tanh(%s)", x[i]).isBetween(-1f, 1f);
    }
    assertThat(sig[0]).isEqualTo(1f);
    assertThat(sig[1]).isEqualTo(0f);
    assertThat(th[0]).isEqualTo(1f);
    assertThat(th[1]).isEqualTo(-1f);
    assertThat(th[4]).isEqualTo(1e-30f);
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void derivativesComeFromOutputs(Kernels k) {
    Rng rng = new Rng(2);
    for (int n : LENGTHS) {
      float[] x = random(rng, n, 3);
      float[] dy = random(rng, n, 1);
      float[] y = new float[n];
      float[] dx = new float[n];
      float[] expected = new float[n];
      k.sigmoid(x, 0, y, 0, n);
      k.sigmoidBackward(y, 0, dy, 0, dx, 0, n);
      for (int i = 0; i < n; i++) {
        double s = 1 / (1 + Math.exp(-x[i]));
        expected[i] = (float) (dy[i] * s * (1 - s));
      }
      assertClose(k.name() + " sigmoid' n=" + n, dx, expected, 1e-7, 1e-5);
      k.tanh(x, 0, y, 0, n);
      k.tanhBackward(y, 0, dy, 0, dx, 0, n);
      for (int i = 0; i < n; i++) {
        double t = Math.tanh(x[i]);
        expected[i] = (float) (dy[i] * (1 - t * t));
      }
      assertClose(k.name() + " tanh' n=" + n, dx, expected, 1e-6, 1e-5);
      k.relu(x, 0, y, 0, n);
      k.reluBackward(y, 0, dy, 0, dx, 0, n);
      for (int i = 0; i < n; i++) {
        expected[i] = x[i] > 0 ? dy[i] : 0f;
      }
      assertClose(k.name() + " relu' n=" + n, dx, expected, 0, 0);
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void softmaxAndLogSoftmaxAreExactEnoughAndStableForHugeLogits(Kernels k) {
    Rng rng = new Rng(3);
    for (int n : LENGTHS) {
      if (n == 0) {
        continue;
      }
      for (double scale : new double[] {1, 30, 1e4}) {
        float[] x = random(rng, n, scale);
        float[] p = new float[n];
        float[] logp = new float[n];
        k.softmax(x, 0, p, 0, n);
        k.logSoftmax(x, 0, logp, 0, n);
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
          max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : x) {
          sum += Math.exp(v - max);
        }
        float[] expP = new float[n];
        float[] expLogP = new float[n];
        for (int i = 0; i < n; i++) {
          expP[i] = (float) (Math.exp(x[i] - max) / sum);
          expLogP[i] = (float) (x[i] - max - Math.log(sum));
        }
        assertClose(k.name() + " softmax n=" + n + " scale=" + scale, p, expP, 1e-7, 1e-5);
        assertClose(k.name() + " logSoftmax n=" + n + " scale=" + scale, logp, expLogP, 1e-5, 1e-6);
      }
    }
  }

  /**
   * The softmax's backward against its formula in double, on softmax outputs of every length class
   * (vector chunks and a tail), with offsets, written in place over dy and to its own array.
   */
  @ParameterizedTest
  @MethodSource("kernels")
  void softmaxBackwardIsTheGradientThroughTheSoftmax(Kernels k) {
    Rng rng = new Rng(5);
    for (int n : LENGTHS) {
      float[] y = new float[n + 2];
      k.softmax(random(rng, n, 3), 0, y, 2, n);
      float[] dy = random(rng, n + 1, 2);
      double dot = 0;
      for (int i = 0; i < n; i++) {
        dot += (double) dy[1 + i] * y[2 + i];
      }
      float[] expected = new float[n + 3];
      for (int i = 0; i < n; i++) {
        expected[3 + i] = (float) (y[2 + i] * (dy[1 + i] - dot));
      }
      float[] dx = new float[n + 3];
      k.softmaxBackward(y, 2, dy, 1, dx, 3, n);
      assertClose(k.name() + " softmax' n=" + n, dx, expected, 1e-7, 1e-5);
      k.softmaxBackward(y, 2, dy, 1, dy, 1, n);
      assertThat(Arrays.copyOfRange(dy, 1, n + 1)).as("in place, n=%d", n).containsExactly(
          Arrays.copyOfRange(dx, 3, n + 3));
    }
  }

  /**
   * The softmax of many rows at once (attention's rows of one head) gives each row the bits of its
   * own softmax call, for row counts around the SIMD kernel's group of 16, and leaves the gaps
   * between rows alone.
   */
  @ParameterizedTest
  @MethodSource("kernels")
  void softmaxRowsGivesEachRowTheBitsOfItsOwnCall(Kernels k) {
    Rng rng = new Rng(6);
    for (int n : LENGTHS) {
      for (int rows : new int[] {0, 1, 5, 16, 17, 40}) {
        int ld = n + 3;
        float[] x = random(rng, 2 + rows * ld, 4);
        float[] expected = x.clone();
        for (int r = 0; r < rows && n > 0; r++) {
          k.softmax(expected, 2 + r * ld, expected, 2 + r * ld, n);
        }
        if (n > 0) {
          k.softmaxRows(x, 2, ld, rows, n);
        }
        assertThat(x).as("%s n=%d rows=%d", k.name(), n, rows).containsExactly(expected);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void inPlaceUseIsAllowed(Kernels k) {
    float[] x = {-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
    float[] expected = new float[x.length];
    k.softmax(x, 0, expected, 0, x.length);
    k.softmax(x, 0, x, 0, x.length);
    assertThat(x).containsExactly(expected);
  }

  @Test
  void simdAndScalarAgreeElementwise() {
    Kernels simd = Kernels.simd();
    assertThat(simd).as("the test JVM runs with --add-modules jdk.incubator.vector").isNotNull();
    Kernels scalar = Kernels.scalar();
    Rng rng = new Rng(4);
    for (int trial = 0; trial < 50; trial++) {
      int n = rng.nextInt(300);
      float[] x = random(rng, n, 6);
      float[] a = new float[n];
      float[] b = new float[n];
      // Both paths run FloatMath's steps, so these agree to the bit, not just within tolerance.
      simd.tanh(x, 0, a, 0, n);
      scalar.tanh(x, 0, b, 0, n);
      assertThat(a).as("tanh n=%d", n).containsExactly(b);
      simd.sigmoid(x, 0, a, 0, n);
      scalar.sigmoid(x, 0, b, 0, n);
      assertThat(a).as("sigmoid n=%d", n).containsExactly(b);
      if (n > 0) {
        simd.logSoftmax(x, 0, a, 0, n);
        scalar.logSoftmax(x, 0, b, 0, n);
        assertClose("logSoftmax", a, b, 1e-5, 1e-6);
      }
    }
  }

  /** The LSTM cell backward: SIMD and scalar to the bit, and both equal to the formulas in double. */
  @Test
  void lstmCellBackwardAgreesAcrossKernelsAndWithTheFormulas() {
    Kernels simd = Kernels.simd();
    Kernels scalar = Kernels.scalar();
    Rng rng = new Rng(6);
    for (int trial = 0; trial < 40; trial++) {
      int hs = 1 + rng.nextInt(70);
      boolean tanh = trial % 4 != 3;
      int gOff = rng.nextInt(5);
      int cOff = rng.nextInt(5);
      int sOff = rng.nextInt(5);
      float[] gates = random(rng, gOff + 4 * hs, 1);
      for (int j = 0; j < gates.length; j++) {
        gates[j] = 0.5f + 0.5f * gates[j]; // activations: i, f, o in (0, 1); g in (0, 1) too, fine for the algebra
      }
      float[] actC = random(rng, cOff + hs, 1);
      float[] cPrev = random(rng, cOff + hs, 2);
      float[] dh = random(rng, sOff + hs, 1);
      float[] dc = random(rng, sOff + hs, 1);
      float[] dcIn = dc.clone();
      float[] dcScalar = dc.clone();
      float[] dGatesSimd = new float[gOff + 4 * hs];
      float[] dGatesScalar = new float[gOff + 4 * hs];
      simd.lstmCellBackward(hs, tanh, gates, gOff, actC, cPrev, cOff, dh, dc, sOff, dGatesSimd);
      scalar.lstmCellBackward(hs, tanh, gates, gOff, actC, cPrev, cOff, dh, dcScalar, sOff, dGatesScalar);
      assertThat(dGatesSimd).as("dGates hs=%d", hs).containsExactly(dGatesScalar);
      assertThat(dc).as("dc hs=%d", hs).containsExactly(dcScalar);
      for (int j = 0; j < hs; j++) {
        double i = gates[gOff + j];
        double f = gates[gOff + hs + j];
        double g = gates[gOff + 2 * hs + j];
        double o = gates[gOff + 3 * hs + j];
        double tc = actC[cOff + j];
        double d = dh[sOff + j];
        double dC = dcIn[sOff + j] + d * o * (tanh ? 1 - tc * tc : 1);
        double[] expected = {dC * g * i * (1 - i), dC * cPrev[cOff + j] * f * (1 - f),
            dC * i * (tanh ? 1 - g * g : 1), d * tc * o * (1 - o)};
        for (int gate = 0; gate < 4; gate++) {
          assertThat((double) dGatesScalar[gOff + gate * hs + j]).as("gate %d unit %d", gate, j)
              .isCloseTo(expected[gate], org.assertj.core.data.Offset.offset(1e-5 + 1e-5 * Math.abs(expected[gate])));
        }
        assertThat((double) dcScalar[sOff + j]).isCloseTo(dC * f, org.assertj.core.data.Offset.offset(1e-5));
      }
    }
  }

  /**
   * The LSTM cell forward: SIMD and scalar to the bit on random ranges, offsets and both
   * activations, with and without h; the scalar one equal to the equations in double; a range
   * split gives the bits of the whole.
   */
  @Test
  void lstmCellForwardAgreesAcrossKernelsWithTheFormulasAndAcrossRangeSplits() {
    Rng rng = new Rng(8);
    Kernels[] both = {Kernels.simd(), Kernels.scalar()};
    for (int trial = 0; trial < 60; trial++) {
      int hs = 1 + rng.nextInt(70);
      int from = rng.nextInt(hs);
      int to = from + rng.nextInt(hs - from + 1);
      boolean tanh = trial % 4 != 3;
      boolean withH = trial % 3 != 2;
      int gOff = rng.nextInt(5);
      int stOff = rng.nextInt(5);
      int sOff = rng.nextInt(5);
      float[] gatesIn = random(rng, gOff + 4 * hs, 3);
      float[] cIn = random(rng, stOff + hs, 2);
      float[][] gates = new float[3][];
      float[][] c = new float[3][];
      float[][] h = new float[3][];
      float[][] cPrev = new float[3][];
      float[][] actC = new float[3][];
      float[][] out = new float[3][];
      for (int k = 0; k < 3; k++) {
        gates[k] = gatesIn.clone();
        c[k] = cIn.clone();
        h[k] = withH ? new float[stOff + hs] : null;
        cPrev[k] = new float[sOff + hs];
        actC[k] = new float[sOff + hs];
        out[k] = new float[sOff + hs];
      }
      for (int k = 0; k < 2; k++) {
        both[k].lstmCellForward(from, to, hs, tanh, gates[k], gOff, c[k], h[k], stOff, cPrev[k], actC[k], out[k], sOff);
      }
      int mid = from + (to - from) / 3; // the SIMD kernel in two pieces, split off its vector grid
      both[0].lstmCellForward(from, mid, hs, tanh, gates[2], gOff, c[2], h[2], stOff, cPrev[2], actC[2], out[2], sOff);
      both[0].lstmCellForward(mid, to, hs, tanh, gates[2], gOff, c[2], h[2], stOff, cPrev[2], actC[2], out[2], sOff);
      for (int k : new int[] {0, 2}) {
        String what = (k == 0 ? "simd" : "split simd") + " hs=" + hs + " [" + from + ", " + to + ")";
        assertThat(gates[k]).as("gates, %s", what).containsExactly(gates[1]);
        assertThat(c[k]).as("c, %s", what).containsExactly(c[1]);
        assertThat(cPrev[k]).as("cPrev, %s", what).containsExactly(cPrev[1]);
        assertThat(actC[k]).as("actC, %s", what).containsExactly(actC[1]);
        assertThat(out[k]).as("out, %s", what).containsExactly(out[1]);
        if (withH) {
          assertThat(h[k]).as("h, %s", what).containsExactly(h[1]);
        }
      }
      for (int j = 0; j < hs; j++) {
        boolean in = j >= from && j < to;
        double[] pre = new double[4];
        for (int gate = 0; gate < 4; gate++) {
          pre[gate] = gatesIn[gOff + gate * hs + j];
        }
        double i = 1 / (1 + Math.exp(-pre[0]));
        double f = 1 / (1 + Math.exp(-pre[1]));
        double g = tanh ? Math.tanh(pre[2]) : pre[2];
        double o = 1 / (1 + Math.exp(-pre[3]));
        double cNew = f * cIn[stOff + j] + i * g;
        double act = tanh ? Math.tanh(cNew) : cNew;
        double[] expectedGates = {i, f, g, o};
        for (int gate = 0; gate < 4; gate++) {
          assertThat((double) gates[1][gOff + gate * hs + j]).as("gate %d unit %d", gate, j)
              .isCloseTo(in ? expectedGates[gate] : pre[gate], org.assertj.core.data.Offset.offset(1e-6));
        }
        assertThat((double) c[1][stOff + j]).as("c unit %d", j)
            .isCloseTo(in ? cNew : cIn[stOff + j], org.assertj.core.data.Offset.offset(1e-5));
        assertThat(cPrev[1][sOff + j]).as("cPrev unit %d", j).isEqualTo(in ? cIn[stOff + j] : 0f);
        assertThat((double) actC[1][sOff + j]).as("actC unit %d", j)
            .isCloseTo(in ? act : 0, org.assertj.core.data.Offset.offset(1e-5));
        assertThat((double) out[1][sOff + j]).as("out unit %d", j)
            .isCloseTo(in ? o * act : 0, org.assertj.core.data.Offset.offset(1e-5));
        if (withH) {
          assertThat(h[1][stOff + j]).as("h unit %d", j).isEqualTo(out[1][sOff + j]);
        }
      }
    }
  }

  /** Column sums in double: SIMD and scalar to the bit, and both the plain row-order sums, on random shapes and offsets. */
  @Test
  void addColumnsAgreesAcrossKernelsAndWithTheRowOrderSums() {
    Rng rng = new Rng(9);
    Kernels[] both = {Kernels.simd(), Kernels.scalar()};
    for (int trial = 0; trial < 40; trial++) {
      int rows = rng.nextInt(40);
      int cols = rng.nextInt(70);
      int ldx = cols + rng.nextInt(4);
      int xOff = rng.nextInt(5);
      float[] x = random(rng, xOff + rows * ldx + 1, 3);
      double[] start = new double[cols];
      for (int j = 0; j < cols; j++) {
        start[j] = rng.nextGaussian();
      }
      double[][] sums = {start.clone(), start.clone()};
      for (int k = 0; k < 2; k++) {
        both[k].addColumns(x, xOff, ldx, rows, cols, sums[k]);
      }
      assertThat(sums[0]).as("rows=%d cols=%d", rows, cols).containsExactly(sums[1]);
      for (int j = 0; j < cols; j++) {
        double expected = start[j];
        for (int r = 0; r < rows; r++) {
          expected += x[xOff + r * ldx + j];
        }
        assertThat(sums[1][j]).as("column %d", j).isEqualTo(expected);
      }
    }
  }

  /** The GRU cell backward: SIMD and scalar to the bit, and both equal to the formulas in double. */
  @Test
  void gruCellBackwardAgreesAcrossKernelsAndWithTheFormulas() {
    Rng rng = new Rng(7);
    for (int trial = 0; trial < 40; trial++) {
      int hs = 1 + rng.nextInt(70);
      int gOff = rng.nextInt(5);
      int sAt = rng.nextInt(5);
      int dhOff = rng.nextInt(5);
      float[] gates = random(rng, gOff + 3 * hs, 1);
      for (int j = 0; j < gates.length; j++) {
        gates[j] = 0.5f + 0.4f * gates[j];
      }
      float[] hh = random(rng, gOff + 3 * hs, 1);
      float[] hPrev = random(rng, sAt + hs, 1);
      float[] dhIn = random(rng, dhOff + hs, 1);
      float[][] dh = {dhIn.clone(), dhIn.clone()};
      float[][] dGates = new float[2][gOff + 3 * hs];
      float[][] dGatesHh = new float[2][gOff + 3 * hs];
      Kernels[] both = {Kernels.simd(), Kernels.scalar()};
      for (int k = 0; k < 2; k++) {
        both[k].gruCellBackward(hs, gates, hh, gOff, hPrev, sAt, dh[k], dhOff, dGates[k], dGatesHh[k]);
      }
      assertThat(dGates[0]).as("dGates hs=%d", hs).containsExactly(dGates[1]);
      assertThat(dGatesHh[0]).as("dGatesHh hs=%d", hs).containsExactly(dGatesHh[1]);
      assertThat(dh[0]).as("dh hs=%d", hs).containsExactly(dh[1]);
      for (int j = 0; j < hs; j++) {
        double r = gates[gOff + j];
        double z = gates[gOff + hs + j];
        double n = gates[gOff + 2 * hs + j];
        double d = dhIn[dhOff + j];
        double dNPre = d * (1 - z) * (1 - n * n);
        double dRPre = dNPre * hh[gOff + 2 * hs + j] * r * (1 - r);
        double dZPre = d * (hPrev[sAt + j] - n) * z * (1 - z);
        double[] expected = {dRPre, dZPre, dNPre};
        for (int gate = 0; gate < 3; gate++) {
          assertThat((double) dGates[1][gOff + gate * hs + j]).as("gate %d unit %d", gate, j)
              .isCloseTo(expected[gate], org.assertj.core.data.Offset.offset(1e-5 + 1e-5 * Math.abs(expected[gate])));
        }
        assertThat((double) dGatesHh[1][gOff + 2 * hs + j]).isCloseTo(dNPre * r, org.assertj.core.data.Offset.offset(1e-5));
        assertThat((double) dh[1][dhOff + j]).isCloseTo(d * z, org.assertj.core.data.Offset.offset(1e-6));
      }
    }
  }

  /** The start-up warm-up calls every kernel with arguments that fit (it runs in the background, where a failure would go unseen). */
  @ParameterizedTest
  @MethodSource("kernels")
  void theJitWarmUpCallsEveryKernelWithinBounds(Kernels k) {
    JitWarmUp.run(k, 3);
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void resultsDoNotChangeAsTheJitCompilesTheKernels(Kernels k) {
    // The first calls run interpreted, later ones compiled: every call must give the first call's bits.
    Rng rng = new Rng(5);
    int n = 37;
    float[] x = random(rng, n, 5);
    float[] first = new float[3 * n];
    float[] again = new float[3 * n];
    for (int round = 0; round < 20_000; round++) {
      float[] out = round == 0 ? first : again;
      k.tanh(x, 0, out, 0, n);
      k.sigmoid(x, 0, out, n, n);
      k.logSoftmax(x, 0, out, 2 * n, n);
      if (round > 0 && !java.util.Arrays.equals(first, again)) {
        throw new AssertionError(k.name() + ": round " + round + " differs from round 0");
      }
    }
  }
}
