package io.github.recurrent4j.tensor;

import java.util.Arrays;

/**
 * A dense float32 tensor: a contiguous row-major {@code float[]} with a shape.
 *
 * <p>{@link #data()} is the live array: writing into it changes the tensor. {@link #reshape}
 * returns a view that shares the array. {@link #version()} counts the occasions on which the data
 * may have changed, for caches built from it (a recurrent stream's packed weights). Element access
 * through {@link #get} and {@link #set} is bounds-checked per dimension; hot loops work on
 * {@link #data()} directly.
 *
 * <p>A tensor of rank 0 (shape {@code []}) holds one element.
 */
public final class Tensor {
  private final float[] data; // (product of shape)
  private final int[] shape;
  private final int[] strides; // row-major strides, in elements
  private final long[] version; // {count}: shared with the views of reshape, which share the data

  private Tensor(float[] data, int[] shape) {
    this(data, shape, new long[1]);
  }

  private Tensor(float[] data, int[] shape, long[] version) {
    this.data = data;
    this.version = version;
    this.shape = shape;
    this.strides = new int[shape.length];
    int stride = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      strides[d] = stride;
      stride *= shape[d];
    }
  }

  /** Wraps {@code data} (not copied) as a tensor of the given shape. */
  public static Tensor of(float[] data, int... shape) {
    if (data == null) {
      throw new IllegalArgumentException("Tensor.of: data is null");
    }
    int[] s = checkedShape(shape);
    long size = sizeOf(s);
    if (size != data.length) {
      throw new IllegalArgumentException("Tensor.of: shape " + Arrays.toString(s) + " needs " + size
          + " elements but data has " + data.length);
    }
    return new Tensor(data, s);
  }

  /** A tensor of zeros. */
  public static Tensor zeros(int... shape) {
    int[] s = checkedShape(shape);
    return new Tensor(new float[toIntSize(sizeOf(s), s)], s);
  }

  /** A tensor with every element equal to {@code value}. */
  public static Tensor full(float value, int... shape) {
    Tensor t = zeros(shape);
    Arrays.fill(t.data, value);
    return t;
  }

  /** A tensor of rank 0 holding {@code value}. */
  public static Tensor scalar(float value) {
    return new Tensor(new float[] {value}, new int[0]);
  }

  /** A zero tensor with the shape of {@code other}. */
  public static Tensor zerosLike(Tensor other) {
    return new Tensor(new float[other.data.length], other.shape.clone());
  }

  /**
   * The live row-major data array. Handing it out counts as a possible change: it raises
   * {@link #version()}, since anything may be written through it.
   */
  public float[] data() {
    version[0]++;
    return data;
  }

  /**
   * A count that grows whenever the data may have changed: at every call of {@link #data()},
   * {@link #copyFrom}, {@link #fill} and {@link #set}, on this tensor or a view of it from
   * {@link #reshape}. A cache derived from the data (a recurrent stream's packed copy of its
   * weights) compares it to know when to rebuild. A write through an array obtained from
   * {@code data()} before the cache was built is the one change it cannot see: fetch the array
   * again, or call {@code data()} once more, after such a write.
   */
  public long version() {
    return version[0];
  }

  /** A copy of the shape. */
  public int[] shape() {
    return shape.clone();
  }

  /** The number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** The size of dimension {@code d}; negative {@code d} counts from the end, as in PyTorch. */
  public int dim(int d) {
    int k = d < 0 ? d + shape.length : d;
    if (k < 0 || k >= shape.length) {
      throw new IndexOutOfBoundsException("Tensor.dim: dimension " + d + " is out of range for shape "
          + Arrays.toString(shape));
    }
    return shape[k];
  }

  /** The number of elements. */
  public int size() {
    return data.length;
  }

  /** True when the shape equals {@code expected}. */
  public boolean hasShape(int... expected) {
    return Arrays.equals(shape, expected);
  }

  /** The shape as text, e.g. {@code [2, 3]}. */
  public String shapeString() {
    return Arrays.toString(shape);
  }

  /**
   * A view with a new shape over the same data. One dimension may be {@code -1}: it is inferred.
   */
  public Tensor reshape(int... newShape) {
    if (newShape == null) {
      throw new IllegalArgumentException("Tensor.reshape: shape is null");
    }
    int[] s = newShape.clone();
    int inferred = -1;
    long known = 1;
    for (int d = 0; d < s.length; d++) {
      if (s[d] == -1) {
        if (inferred >= 0) {
          throw new IllegalArgumentException("Tensor.reshape: only one dimension may be -1, got "
              + Arrays.toString(newShape));
        }
        inferred = d;
      } else if (s[d] < 0) {
        throw new IllegalArgumentException("Tensor.reshape: negative dimension in " + Arrays.toString(newShape));
      } else {
        known *= s[d];
      }
    }
    if (inferred >= 0) {
      if (known == 0 || data.length % known != 0) {
        throw new IllegalArgumentException("Tensor.reshape: cannot reshape " + Arrays.toString(shape) + " ("
            + data.length + " elements) into " + Arrays.toString(newShape));
      }
      s[inferred] = (int) (data.length / known);
      known *= s[inferred];
    }
    if (known != data.length) {
      throw new IllegalArgumentException("Tensor.reshape: cannot reshape " + Arrays.toString(shape) + " ("
          + data.length + " elements) into " + Arrays.toString(newShape));
    }
    return new Tensor(data, s, version);
  }

  /** A deep copy. */
  public Tensor copy() {
    return new Tensor(data.clone(), shape.clone());
  }

  /** Copies the values of {@code source}, which must have the same shape, into this tensor. */
  public Tensor copyFrom(Tensor source) {
    if (!Arrays.equals(shape, source.shape)) {
      throw new IllegalArgumentException("Tensor.copyFrom: shape " + Arrays.toString(source.shape)
          + " does not match " + Arrays.toString(shape));
    }
    System.arraycopy(source.data, 0, data, 0, data.length);
    version[0]++;
    return this;
  }

  /** Sets every element to {@code value}. */
  public Tensor fill(float value) {
    Arrays.fill(data, value);
    version[0]++;
    return this;
  }

  /** The element at the given index, one coordinate per dimension. */
  public float get(int... index) {
    return data[offsetOf(index)];
  }

  /** Sets the element at the given index. */
  public void set(float value, int... index) {
    data[offsetOf(index)] = value;
    version[0]++;
  }

  /** The flat row-major offset of an index, checked per dimension. */
  public int offsetOf(int... index) {
    if (index == null || index.length != shape.length) {
      throw new IndexOutOfBoundsException("Tensor: index " + Arrays.toString(index) + " has "
          + (index == null ? 0 : index.length) + " coordinates but the tensor has rank " + shape.length
          + " (shape " + Arrays.toString(shape) + ")");
    }
    int offset = 0;
    for (int d = 0; d < shape.length; d++) {
      if (index[d] < 0 || index[d] >= shape[d]) {
        throw new IndexOutOfBoundsException("Tensor: index " + Arrays.toString(index) + " is out of bounds for shape "
            + Arrays.toString(shape) + " (dimension " + d + ")");
      }
      offset += index[d] * strides[d];
    }
    return offset;
  }

  /** The index of a flat offset, the inverse of {@link #offsetOf}. */
  public int[] indexOf(int offset) {
    if (offset < 0 || offset >= data.length) {
      throw new IndexOutOfBoundsException("Tensor: offset " + offset + " is out of bounds for " + data.length
          + " elements");
    }
    int[] index = new int[shape.length];
    for (int d = 0; d < shape.length; d++) {
      index[d] = offset / strides[d];
      offset -= index[d] * strides[d];
    }
    return index;
  }

  /** True when the shapes are equal and every element is bit-for-bit equal. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor other && Arrays.equals(shape, other.shape) && Arrays.equals(data, other.data);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Tensor").append(Arrays.toString(shape)).append(' ');
    int shown = Math.min(data.length, 8);
    sb.append('[');
    for (int i = 0; i < shown; i++) {
      sb.append(i == 0 ? "" : ", ").append(data[i]);
    }
    return sb.append(data.length > shown ? ", ...]" : "]").toString();
  }

  private static int[] checkedShape(int[] shape) {
    if (shape == null) {
      throw new IllegalArgumentException("Tensor: shape is null");
    }
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("Tensor: negative dimension in shape " + Arrays.toString(shape));
      }
    }
    return shape.clone();
  }

  /** The number of elements of a shape, as a long so that overflow can be detected. */
  public static long sizeOf(int... shape) {
    for (int d : shape) {
      if (d == 0) {
        return 0;
      }
    }
    long size = 1;
    for (int d : shape) {
      size *= d;
      if (size > Integer.MAX_VALUE) {
        return Long.MAX_VALUE;
      }
    }
    return size;
  }

  private static int toIntSize(long size, int[] shape) {
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("Tensor: shape " + Arrays.toString(shape) + " has more elements than a Java array can hold");
    }
    return (int) size;
  }
}
