package io.github.recurrent4j.kernel;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;

/**
 * Where a float array's elements fall on the 64-byte cache lines, so that data read by 512-bit
 * loads can start on a line. A load that starts elsewhere spans two lines; a stream step that reads
 * 1.31 MB of weights that way took 20-25 µs a step against 11-13 µs from a line start (W5 in
 * BENCHMARKS.md, the same JVM and minute).
 *
 * <p>Java does not say where an array lies, and a collector may move it. HotSpot's
 * {@code sun.misc.Unsafe} reads the compressed reference to it, from which this works out its
 * address modulo 64. It is asked only on JDKs before 24 (from 24 on, its first use prints a warning)
 * and only when references are compressed with a shift this class recognises; elsewhere an array's
 * line start is not known, and {@link #lineStart} says 0. Whatever it says is only ever a matter of
 * speed: callers read their data from where they wrote it.
 */
public final class CacheLines {
  /** Floats in a 64-byte line. */
  public static final int FLOATS = 16;

  private static final MethodHandle GET_INT; // Unsafe.getInt(Object, long) bound to the Unsafe, or null
  private static final long HOLDER_BASE; // offset of element 0 in an Object[]
  private static final long FLOAT_BASE; // offset of element 0 in a float[]
  private static final int SHIFT; // a reference is its address >> SHIFT

  static {
    MethodHandle getInt = null;
    long holderBase = 0;
    long floatBase = 0;
    int shift = -1;
    if (Runtime.version().feature() < 24) {
      try {
        Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
        Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
        theUnsafe.setAccessible(true);
        Object unsafe = theUnsafe.get(null);
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        MethodHandle baseOffset = lookup.findVirtual(unsafeClass, "arrayBaseOffset",
            MethodType.methodType(int.class, Class.class)).bindTo(unsafe);
        MethodHandle indexScale = lookup.findVirtual(unsafeClass, "arrayIndexScale",
            MethodType.methodType(int.class, Class.class)).bindTo(unsafe);
        getInt = lookup.findVirtual(unsafeClass, "getInt",
            MethodType.methodType(int.class, Object.class, long.class)).bindTo(unsafe);
        holderBase = (int) baseOffset.invokeExact(Object[].class);
        floatBase = (int) baseOffset.invokeExact(float[].class);
        if ((int) indexScale.invokeExact(Object[].class) == 4) {
          shift = referenceShift(getInt, holderBase);
        }
      } catch (Throwable e) { // no Unsafe, or not this one: line starts are not known
        shift = -1;
      }
    }
    SHIFT = shift;
    GET_INT = shift < 0 ? null : getInt;
    HOLDER_BASE = holderBase;
    FLOAT_BASE = floatBase;
  }

  private CacheLines() {}

  /**
   * The floats an array needs beyond its data so that the data can start on a line wherever the
   * array lies: {@code FLOATS - 1} where that is {@link #known}, else none.
   */
  public static int room() {
    return GET_INT == null ? 0 : FLOATS - 1;
  }

  /** Whether {@link #lineStart} knows where arrays lie in this JVM. */
  public static boolean known() {
    return GET_INT != null;
  }

  /**
   * The index {@code i} in {@code [0, FLOATS)} at which the float array {@code holder[0]} has an
   * element that starts a 64-byte line at the moment of the call, or 0 when that is not
   * {@link #known}. The array is passed in a holder, kept by the caller, so that asking allocates
   * nothing.
   */
  public static int lineStart(Object[] holder) {
    if (GET_INT == null) {
      return 0;
    }
    int reference;
    try {
      reference = (int) GET_INT.invokeExact((Object) holder, HOLDER_BASE);
    } catch (Throwable e) {
      throw new IllegalStateException("CacheLines: reading a reference failed", e);
    }
    long first = ((Integer.toUnsignedLong(reference) << SHIFT) + FLOAT_BASE) & 63;
    return (int) ((64 - first) & 63) / Float.BYTES;
  }

  /**
   * How compressed references encode addresses: 0 when a reference is the address, 3 when it is
   * the address over 8 (HotSpot's default alignment), -1 when neither fits. Consecutive arrays of
   * one float, 24 bytes apart in a thread's allocation buffer, are 24 or 3 apart as references;
   * which one is asked of several pairs, and every pair must agree.
   */
  private static int referenceShift(MethodHandle getInt, long holderBase) throws Throwable {
    int shift = -2;
    for (int pair = 0; pair < 8; pair++) {
      Object[] holder = {new float[1], new float[1]};
      long first = Integer.toUnsignedLong((int) getInt.invokeExact((Object) holder, holderBase));
      long second = Integer.toUnsignedLong((int) getInt.invokeExact((Object) holder, holderBase + 4));
      int seen = second - first == 24 ? 0 : second - first == 3 ? 3 : -1;
      if (seen >= 0 && shift == -2) {
        shift = seen;
      } else if (seen >= 0 && seen != shift) {
        return -1;
      }
    }
    return Math.max(shift, -1);
  }
}
