package io.github.recurrent4j.tensor;

/**
 * A seeded, reproducible random number generator (xoshiro256** seeded through SplitMix64).
 *
 * <p>The same seed gives the same sequence on every JVM: the generator uses only integer
 * arithmetic, and {@link #nextGaussian()} uses {@link StrictMath}, whose results are fixed by
 * specification. An {@code Rng} is not thread-safe; give each thread its own, for example through
 * {@link #split()}.
 *
 * <p>Constructors that take no {@code Rng} draw from a process-wide default generator, which
 * {@link #manualSeed(long)} reseeds (like {@code torch.manual_seed}).
 */
public final class Rng {
  private static final Rng DEFAULT = new Rng(0x5EED_2026L);

  private long s0;
  private long s1;
  private long s2;
  private long s3;
  private double spareGaussian;
  private boolean hasSpareGaussian;

  /** A generator whose whole sequence is fixed by {@code seed}. */
  public Rng(long seed) {
    reseed(seed);
  }

  /** Reseeds the process-wide default generator used by constructors that take no {@code Rng}. */
  public static void manualSeed(long seed) {
    synchronized (DEFAULT) {
      DEFAULT.reseed(seed);
    }
  }

  /**
   * A new generator seeded from the process-wide default one. Call {@link #manualSeed} first for
   * reproducible results.
   */
  public static Rng fromDefault() {
    synchronized (DEFAULT) {
      return DEFAULT.split();
    }
  }

  private void reseed(long seed) {
    long x = seed;
    s0 = splitMix(x += 0x9E3779B97F4A7C15L);
    s1 = splitMix(x += 0x9E3779B97F4A7C15L);
    s2 = splitMix(x += 0x9E3779B97F4A7C15L);
    s3 = splitMix(x + 0x9E3779B97F4A7C15L);
    hasSpareGaussian = false;
  }

  private static long splitMix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** 64 uniformly random bits. */
  public long nextLong() {
    long result = Long.rotateLeft(s1 * 5, 7) * 9;
    long t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = Long.rotateLeft(s3, 45);
    return result;
  }

  /** 32 uniformly random bits. */
  public int nextInt() {
    return (int) (nextLong() >>> 32);
  }

  /** A uniform integer in {@code [0, bound)}, without modulo bias. */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("Rng.nextInt: bound must be positive, got " + bound);
    }
    long threshold = (1L << 32) % bound;
    while (true) {
      long r = nextLong() >>> 32;
      long product = r * bound;
      if ((product & 0xFFFFFFFFL) >= threshold) {
        return (int) (product >>> 32);
      }
    }
  }

  /** A uniform float in {@code [0, 1)} with 24 random bits. */
  public float nextFloat() {
    return (nextLong() >>> 40) * 0x1.0p-24f;
  }

  /** A uniform double in {@code [0, 1)} with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** A uniform double in {@code [low, high)}. */
  public double nextDouble(double low, double high) {
    return low + (high - low) * nextDouble();
  }

  /** A standard normal sample (Box–Muller with {@link StrictMath}, so it is the same on every JVM). */
  public double nextGaussian() {
    if (hasSpareGaussian) {
      hasSpareGaussian = false;
      return spareGaussian;
    }
    double u1 = 1.0 - nextDouble(); // (0, 1]: log is finite
    double u2 = nextDouble();
    double radius = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
    double angle = 2.0 * StrictMath.PI * u2;
    spareGaussian = radius * StrictMath.sin(angle);
    hasSpareGaussian = true;
    return radius * StrictMath.cos(angle);
  }

  /**
   * The generator's whole state as text, for checkpoints: {@link #restore} continues the sequence
   * exactly where it stopped.
   */
  public String state() {
    return Long.toHexString(s0) + "," + Long.toHexString(s1) + "," + Long.toHexString(s2) + ","
        + Long.toHexString(s3) + "," + (hasSpareGaussian ? Long.toHexString(Double.doubleToRawLongBits(spareGaussian))
        : "-");
  }

  /** Restores a state from {@link #state()}. */
  public void restore(String state) {
    String[] parts = state == null ? new String[0] : state.split(",");
    if (parts.length != 5) {
      throw new IllegalArgumentException("Rng.restore: expected 5 comma-separated fields, got '" + state + "'");
    }
    try {
      long a = Long.parseUnsignedLong(parts[0], 16);
      long b = Long.parseUnsignedLong(parts[1], 16);
      long c = Long.parseUnsignedLong(parts[2], 16);
      long d = Long.parseUnsignedLong(parts[3], 16);
      boolean spare = !parts[4].equals("-");
      double spareValue = spare ? Double.longBitsToDouble(Long.parseUnsignedLong(parts[4], 16)) : 0;
      s0 = a;
      s1 = b;
      s2 = c;
      s3 = d;
      hasSpareGaussian = spare;
      spareGaussian = spareValue;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Rng.restore: not a state from Rng.state(): '" + state + "'", e);
    }
  }

  /** A new generator seeded from this one; the two sequences are independent in practice. */
  public Rng split() {
    return new Rng(nextLong());
  }

  /** Shuffles {@code values} in place (Fisher–Yates). */
  public void shuffle(int[] values) {
    for (int i = values.length - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      int t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }
}
