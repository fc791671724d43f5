package io.github.recurrent4j.testing;

import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;

/**
 * The one assertion helper for float arrays: it reports the worst element, its index, both
 * values and the tolerance, so a failure says where to look.
 */
public final class Assertions2 {
  private Assertions2() {}

  /** Fails unless |actual - expected| <= atol + rtol·|expected| for every element. */
  public static void assertClose(String what, float[] actual, float[] expected, double atol, double rtol) {
    if (actual.length != expected.length) {
      throw new AssertionError(what + ": length " + actual.length + " but expected " + expected.length);
    }
    int worst = -1;
    double worstExcess = 0;
    double maxAbs = 0;
    for (int i = 0; i < actual.length; i++) {
      double diff = Math.abs((double) actual[i] - expected[i]);
      if (Double.isNaN(diff) && !(Float.isNaN(actual[i]) && Float.isNaN(expected[i]))) {
        diff = Double.POSITIVE_INFINITY;
      } else if (Double.isNaN(diff) || actual[i] == expected[i]) {
        diff = 0;
      }
      maxAbs = Math.max(maxAbs, diff);
      double excess = diff - (atol + rtol * Math.abs(expected[i]));
      if (excess > worstExcess) {
        worstExcess = excess;
        worst = i;
      }
    }
    if (worst >= 0) {
      throw new AssertionError(String.format(
          "%s: element %d is %s but expected %s (|diff| %.3g > atol %.1g + rtol %.1g·|expected|); max |diff| %.3g over %d elements",
          what, worst, actual[worst], expected[worst], Math.abs((double) actual[worst] - expected[worst]), atol, rtol,
          maxAbs, actual.length));
    }
  }

  /** Tensor form of {@link #assertClose(String, float[], float[], double, double)}, also checking shapes. */
  public static void assertClose(String what, Tensor actual, Tensor expected, double atol, double rtol) {
    if (!Arrays.equals(actual.shape(), expected.shape())) {
      throw new AssertionError(what + ": shape " + actual.shapeString() + " but expected " + expected.shapeString());
    }
    assertClose(what, actual.data(), expected.data(), atol, rtol);
  }

  /** The largest |a - b| over two arrays of equal length. */
  public static double maxAbsDiff(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs((double) a[i] - b[i]));
    }
    return max;
  }
}
