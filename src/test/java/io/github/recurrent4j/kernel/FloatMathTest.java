package io.github.recurrent4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FloatMathTest {
  /** Distance in units in the last place between a float and the exactly computed double. */
  static double ulps(float actual, double exact) {
    float rounded = (float) exact;
    if (actual == rounded) {
      return 0;
    }
    double ulp = Math.ulp(rounded == 0 ? Float.MIN_NORMAL : rounded);
    return Math.abs(actual - exact) / ulp;
  }

  /**
   * About 300,000 floats evenly spread over the bit patterns between the magnitudes {@code from}
   * and {@code to} (both >= 0), with the given sign.
   */
  static void sweep(float from, float to, float sign, java.util.function.DoubleConsumer check) {
    int a = Float.floatToIntBits(from);
    int b = Float.floatToIntBits(to);
    int step = Math.max(1, (b - a) / 300_000);
    for (int bits = a; bits <= b; bits += step) {
      check.accept(Math.copySign(Float.intBitsToFloat(bits), sign));
    }
  }

  @Test
  void expIsWithinTwoUlpsOverItsWholeRange() {
    double[] worst = {0, 0};
    java.util.function.DoubleConsumer check = v -> {
      float x = (float) v;
      double exact = Math.exp(x);
      if (exact < Float.MIN_NORMAL) {
        assertThat((double) FloatMath.exp(x)).as("exp(%s) near underflow", x).isCloseTo(exact,
            org.assertj.core.data.Offset.offset(2.0 * Float.MIN_VALUE));
        return;
      }
      double u = ulps(FloatMath.exp(x), exact);
      if (u > worst[0]) {
        worst[0] = u;
        worst[1] = x;
      }
    };
    sweep(0f, 88.7f, 1f, check);
    sweep(0f, 103.9f, -1f, check);
    sweep(1e-30f, 1e-3f, 1f, check);
    sweep(1e-30f, 1e-3f, -1f, check);
    assertThat(worst[0]).as("worst at x=%s", worst[1]).isLessThanOrEqualTo(2.0);
  }

  @Test
  void expEdgeCases() {
    assertThat(FloatMath.exp(0f)).isEqualTo(1f);
    assertThat(FloatMath.exp(89f)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(FloatMath.exp(1e4f)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(FloatMath.exp(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(FloatMath.exp(-1e4f)).isEqualTo(0f);
    assertThat(FloatMath.exp(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
    assertThat(FloatMath.exp(Float.NaN)).isNaN();
    assertThat(FloatMath.exp(88.72f)).isEqualTo((float) Math.exp(88.72f));
  }

  @Test
  void tanhIsWithinThreeUlpsIncludingTinyInputs() {
    double[] worst = {0, 0};
    java.util.function.DoubleConsumer check = v -> {
      float x = (float) v;
      double u = ulps(FloatMath.tanh(x), Math.tanh(x));
      if (u > worst[0]) {
        worst[0] = u;
        worst[1] = x;
      }
    };
    sweep(0f, 12f, 1f, check);
    sweep(0f, 12f, -1f, check);
    sweep(0.3f, 0.7f, 1f, check);
    assertThat(worst[0]).as("worst at x=%s", worst[1]).isLessThanOrEqualTo(3.0);
    assertThat(FloatMath.tanh(1e4f)).isEqualTo(1f);
    assertThat(FloatMath.tanh(-1e4f)).isEqualTo(-1f);
    assertThat(FloatMath.tanh(Float.NEGATIVE_INFINITY)).isEqualTo(-1f);
    assertThat(Float.floatToRawIntBits(FloatMath.tanh(-0f))).isEqualTo(0x80000000);
    assertThat(FloatMath.tanh(Float.NaN)).isNaN();
  }

  @Test
  void sigmoidIsWithinThreeUlpsAndSaturatesExactly() {
    double[] worst = {0, 0};
    java.util.function.DoubleConsumer check = v -> {
      float x = (float) v;
      double u = ulps(FloatMath.sigmoid(x), 1 / (1 + Math.exp(-(double) x)));
      if (u > worst[0]) {
        worst[0] = u;
        worst[1] = x;
      }
    };
    sweep(0f, 20f, 1f, check);
    sweep(0f, 80f, -1f, check);
    assertThat(worst[0]).as("worst at x=%s", worst[1]).isLessThanOrEqualTo(3.0);
    assertThat(FloatMath.sigmoid(1e4f)).isEqualTo(1f);
    assertThat(FloatMath.sigmoid(-1e4f)).isEqualTo(0f);
    assertThat(FloatMath.sigmoid(0f)).isEqualTo(0.5f);
  }
}
