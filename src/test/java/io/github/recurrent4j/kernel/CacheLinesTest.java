package io.github.recurrent4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CacheLinesTest {
  /**
   * The tests run on HotSpot's defaults (compressed references, 8-byte object alignment), where
   * line starts are known on JDKs before 24; from 24 on they are not asked, and every start is 0.
   */
  @Test
  void lineStartsAreKnownBeforeJdk24() {
    assertThat(CacheLines.known()).isEqualTo(Runtime.version().feature() < 24);
    assertThat(CacheLines.room()).isEqualTo(CacheLines.known() ? CacheLines.FLOATS - 1 : 0);
    if (!CacheLines.known()) {
      assertThat(CacheLines.lineStart(new Object[] {new float[100]})).isZero();
    }
  }

  /**
   * Two arrays allocated one after the other lie next to each other: a {@code float[5]} takes 40
   * bytes (a 16-byte header and 20 of floats, rounded up to 8), so the second array's elements
   * are 10 floats on from the first's, and its line start is 10 floats earlier modulo 16. Objects
   * are 8-byte aligned, so a start is even. Most pairs, not all: an allocation buffer may end
   * between the two.
   */
  @Test
  void lineStartsFollowTheObjectLayout() {
    int agree = 0;
    for (int pair = 0; pair < 16; pair++) {
      float[] first = new float[5];
      float[] second = new float[1];
      int a = CacheLines.lineStart(new Object[] {first});
      int b = CacheLines.lineStart(new Object[] {second});
      assertThat(a).isBetween(0, CacheLines.FLOATS - 1);
      assertThat(a % 2).isZero();
      if (!CacheLines.known() || b == Math.floorMod(a - 10, CacheLines.FLOATS)) {
        agree++;
      }
    }
    assertThat(agree).as("pairs whose starts are 10 floats apart").isGreaterThanOrEqualTo(14);
  }

  /** A packed matrix and its moved copy hold the same layout, each from its own line start. */
  @Test
  void aMovedCopyHoldsTheSameLayout() {
    float[] b1 = new float[300 * 7];
    for (int i = 0; i < b1.length; i++) {
      b1[i] = i * 0.25f - 100f;
    }
    PackedRows packed = Kernels.packRowsByColumn(300, 7, b1, 7, 0, new float[0], 0);
    PackedRows moved = packed.moved();
    int length = 3 * Kernels.COLUMN_BLOCK * 7;
    assertThat(moved.data).isNotSameAs(packed.data);
    assertThat(Arrays.copyOfRange(moved.data, moved.start, moved.start + length))
        .containsExactly(Arrays.copyOfRange(packed.data, packed.start, packed.start + length));
    assertThat(moved.data).hasSameSizeAs(packed.data);
    // row 1, column 2 of the layout: block 0, column 2's rows side by side
    assertThat(packed.data[packed.start + 2 * Kernels.COLUMN_BLOCK + 1]).isEqualTo(b1[7 + 2]);
  }
}
