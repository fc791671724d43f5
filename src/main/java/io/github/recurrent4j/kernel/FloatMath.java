package io.github.recurrent4j.kernel;

/**
 * {@code exp}, {@code tanh} and {@code sigmoid} in float32 from IEEE basic operations and fused
 * multiply-adds only. Those give the same bits everywhere: in the interpreter and in compiled
 * code, on every JVM, and lane by lane in the SIMD kernels, which repeat exactly these steps. The
 * JDK's vector {@code EXP} and {@code TANH} do not promise that (an intrinsic and its fallback
 * may differ in the last bit), and bit-identical training runs need it.
 *
 * <p>Accuracy, checked by FloatMathTest over dense sweeps: exp within 2 ulp, tanh and sigmoid
 * within 3 ulp of the correctly rounded result.
 */
public final class FloatMath {
  private FloatMath() {}

  /** Inputs are clamped to [EXP_LOW, EXP_HIGH], past which exp is 0 or infinite in float anyway. */
  public static final float EXP_LOW = -104f;
  public static final float EXP_HIGH = 89f;
  public static final float LOG2E = 1.44269504088896341f;
  /** Adding and subtracting 1.5·2^23 rounds a float of magnitude below 2^22 to the nearest integer. */
  public static final float ROUNDER = 0x1.8p23f;
  /** The bits of {@link #ROUNDER}: a rounded float minus these bits is its integer part (|n| &lt; 2^22). */
  public static final int ROUNDER_BITS = 0x4B400000;
  /** ln 2 split in two so that {@code x - n·ln2} keeps its low bits. */
  public static final float LN2_HI = 0.693145751953125f;
  public static final float LN2_LO = 1.42860677e-06f;
  /** Taylor coefficients of e^r, |r| &lt;= ln2/2: 1/k!. */
  public static final float E2 = 1f / 2;
  public static final float E3 = 1f / 6;
  public static final float E4 = 1f / 24;
  public static final float E5 = 1f / 120;
  public static final float E6 = 1f / 720;
  public static final float E7 = 1f / 5040;

  /** Below this magnitude tanh uses its Taylor series, whose terms then shrink by 10× each. */
  public static final float TANH_SERIES_LIMIT = 0.5f;
  /** Taylor coefficients of tanh(x)/x - 1 in powers of x²: -1/3, 2/15, -17/315, ... */
  public static final float T1 = -1f / 3;
  public static final float T2 = 2f / 15;
  public static final float T3 = -17f / 315;
  public static final float T4 = 62f / 2835;
  public static final float T5 = -1382f / 155925;
  public static final float T6 = 21844f / 6081075;
  public static final float T7 = -929569f / 638512875;
  public static final float T8 = (float) (6404582.0 / 10854718875.0);
  public static final float T9 = (float) (-443861162.0 / 1856156927625.0);

  /** e^x. NaN stays NaN; overflow gives infinity; underflow gives zero or a subnormal. */
  public static float exp(float x) {
    float xc = Math.min(Math.max(x, EXP_LOW), EXP_HIGH);
    float shifted = xc * LOG2E + ROUNDER; // holds round(x / ln2) in its low mantissa bits
    float n = shifted - ROUNDER;
    float r = Math.fma(n, -LN2_HI, xc); // r = x - n·ln2, |r| <= ln2/2
    r = Math.fma(n, -LN2_LO, r);
    float p = E7;
    p = Math.fma(p, r, E6);
    p = Math.fma(p, r, E5);
    p = Math.fma(p, r, E4);
    p = Math.fma(p, r, E3);
    p = Math.fma(p, r, E2);
    p = Math.fma(p, r, 1f);
    p = Math.fma(p, r, 1f); // p = e^r
    int ni = Float.floatToRawIntBits(shifted) - ROUNDER_BITS; // = (int) n, without a float-to-int conversion
    int n1 = ni >> 1; // 2^n as two factors, each a normal float, so n = -150 .. 128 all work
    int n2 = ni - n1;
    return p * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
  }

  /**
   * tanh(x): a series near zero, {@code (1 - e^-2|x|) / (1 + e^-2|x|)} elsewhere, with the sign of
   * x in both (so tanh(-0) is -0).
   */
  public static float tanh(float x) {
    float a = Math.abs(x);
    float t;
    if (a < TANH_SERIES_LIMIT) {
      float z = a * a;
      float q = T9;
      q = Math.fma(q, z, T8);
      q = Math.fma(q, z, T7);
      q = Math.fma(q, z, T6);
      q = Math.fma(q, z, T5);
      q = Math.fma(q, z, T4);
      q = Math.fma(q, z, T3);
      q = Math.fma(q, z, T2);
      q = Math.fma(q, z, T1);
      t = Math.fma(a * z, q, a);
    } else {
      float e = exp(-2f * a);
      t = (1f - e) / (1f + e);
    }
    return Float.intBitsToFloat(Float.floatToRawIntBits(t) | (Float.floatToRawIntBits(x) & 0x80000000));
  }

  /** 1 / (1 + e^-x): exactly 0 and 1 far out, never NaN for a non-NaN input. */
  public static float sigmoid(float x) {
    return 1f / (1f + exp(-x));
  }
}
