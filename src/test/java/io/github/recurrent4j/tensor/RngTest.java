package io.github.recurrent4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class RngTest {
  @Test
  void sameSeedSameSequenceDifferentSeedDifferentSequence() {
    Rng a = new Rng(42);
    Rng b = new Rng(42);
    Rng c = new Rng(43);
    boolean differs = false;
    for (int i = 0; i < 1000; i++) {
      long x = a.nextLong();
      assertThat(b.nextLong()).isEqualTo(x);
      differs |= c.nextLong() != x;
    }
    assertThat(differs).isTrue();
  }

  @Test
  void sequenceIsPinnedSoItCannotDriftAcrossVersionsOrJvms() {
    // xoshiro256** seeded by SplitMix64 from 0: these values are fixed by the algorithms, not by this code.
    Rng rng = new Rng(0);
    long[] expected = new long[4];
    long x = 0;
    long[] state = new long[4];
    for (int i = 0; i < 4; i++) {
      x += 0x9E3779B97F4A7C15L;
      long z = x;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      state[i] = z ^ (z >>> 31);
    }
    for (int i = 0; i < 4; i++) {
      expected[i] = Long.rotateLeft(state[1] * 5, 7) * 9;
      long t = state[1] << 17;
      state[2] ^= state[0];
      state[3] ^= state[1];
      state[1] ^= state[2];
      state[0] ^= state[3];
      state[2] ^= t;
      state[3] = Long.rotateLeft(state[3], 45);
    }
    for (long e : expected) {
      assertThat(rng.nextLong()).isEqualTo(e);
    }
    // SplitMix64's first output from seed 0 is a published test value.
    assertThat(state.length).isEqualTo(4);
    long z = 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    assertThat(z ^ (z >>> 31)).isEqualTo(0xE220A8397B1DCDAFL);
  }

  @Test
  void sameNumbersOnEveryThread() throws Exception {
    double[] here = draw(new Rng(7));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<double[]> there = pool.submit(() -> draw(new Rng(7)));
      assertThat(there.get()).containsExactly(here);
    } finally {
      pool.shutdown();
    }
  }

  private static double[] draw(Rng rng) {
    double[] out = new double[300];
    for (int i = 0; i < out.length; i += 3) {
      out[i] = rng.nextGaussian();
      out[i + 1] = rng.nextFloat();
      out[i + 2] = rng.nextInt(10);
    }
    return out;
  }

  @Test
  void distributionsHaveTheRightMoments() {
    Rng rng = new Rng(1);
    int n = 200_000;
    double sum = 0;
    double sumSq = 0;
    double uniformSum = 0;
    int[] counts = new int[7];
    for (int i = 0; i < n; i++) {
      double g = rng.nextGaussian();
      sum += g;
      sumSq += g * g;
      float u = rng.nextFloat();
      assertThat(u).isGreaterThanOrEqualTo(0f).isLessThan(1f);
      uniformSum += u;
      counts[rng.nextInt(7)]++;
    }
    assertThat(sum / n).isCloseTo(0, org.assertj.core.data.Offset.offset(0.01));
    assertThat(sumSq / n).isCloseTo(1, org.assertj.core.data.Offset.offset(0.01));
    assertThat(uniformSum / n).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.005));
    for (int c : counts) {
      assertThat(c).isBetween(n / 7 - 1500, n / 7 + 1500);
    }
    assertThatThrownBy(() -> rng.nextInt(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Rng.nextInt: bound must be positive, got 0");
  }

  @Test
  void manualSeedMakesTheDefaultGeneratorReproducible() {
    Rng.manualSeed(5);
    long first = Rng.fromDefault().nextLong();
    Rng.manualSeed(5);
    assertThat(Rng.fromDefault().nextLong()).isEqualTo(first);
  }
}
