package io.github.recurrent4j.kernel;

/**
 * A matrix packed by {@link Kernels#packRowsByColumn} for {@link Kernels#packedRowDots}: its layout
 * in {@code data} from {@code start}, which is the first element of a cache line where
 * {@link CacheLines} knows where arrays lie (and 0 where it does not). Immutable. A collector may
 * move the array later; {@link #onLine} says whether it still starts a line, and {@link #moved}
 * makes a copy that does.
 */
public final class PackedRows {
  /** The array that holds the layout, from {@link #start}. */
  public final float[] data;
  /** Where the layout starts in {@link #data}. */
  public final int start;
  private final int length; // of the layout
  private final Object[] self; // {data}: for CacheLines

  private PackedRows(int length) {
    this.data = new float[length + CacheLines.room()];
    this.self = new Object[] {data};
    this.start = CacheLines.lineStart(self);
    this.length = length;
  }

  /** An array of zeros for a layout of {@code length} floats, its start on a line. */
  static PackedRows zeros(int length) {
    return new PackedRows(length);
  }

  /** Whether {@link #start} is still the first element of a cache line (always, where that is not known). */
  public boolean onLine() {
    return CacheLines.lineStart(self) == start;
  }

  /** The same layout in a new array, from the start of a line. */
  public PackedRows moved() {
    PackedRows copy = new PackedRows(length);
    System.arraycopy(data, start, copy.data, copy.start, length);
    return copy;
  }
}
