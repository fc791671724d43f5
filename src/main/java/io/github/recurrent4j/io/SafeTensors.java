package io.github.recurrent4j.io;

import io.github.recurrent4j.tensor.Tensor;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format:
 * an 8-byte little-endian header length N, N bytes of JSON
 * ({@code {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}}, with
 * an optional {@code "__metadata__"} object of strings), then the raw little-endian tensor bytes.
 *
 * <p>Writing produces F32, in the map's order, with the same bytes for the same map, and is
 * atomic: the file is written beside the target, forced to disk and renamed over it. Reading
 * accepts F32, F64, F16 and BF16 and converts to float32, keeping the file's tensor order.
 *
 * <p>Reading treats the file as hostile. Every malformed file raises a
 * {@link SafeTensorsFormatException} saying what is wrong, and nothing else; no allocation is ever
 * larger than the file because a header said so. Unknown fields inside a tensor entry are ignored,
 * as the reference implementation does.
 */
public final class SafeTensors {
  /** Headers larger than this are rejected, as the reference implementation does. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;
  private static final String METADATA_KEY = "__metadata__";
  private static final int CHUNK_BYTES = 1 << 20;

  private SafeTensors() {}

  /** A file's tensors, in file order, and its {@code __metadata__} (empty when absent). */
  public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

  /** The element types this reader converts to float32, with their sizes in bytes. */
  private enum Dtype {
    F32(4), F64(8), F16(2), BF16(2);

    final int bytes;

    Dtype(int bytes) {
      this.bytes = bytes;
    }
  }

  /** Dtypes of the format that are valid but hold no floating-point data this reader converts. */
  private static final List<String> OTHER_DTYPES = List.of("BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64",
      "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64");

  /** Reads the tensors of a file, in file order. */
  public static Map<String, Tensor> read(Path path) throws IOException {
    return load(path).tensors();
  }

  /** Reads the tensors and the metadata of a file. */
  public static Contents load(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      return parse(new FileSource(channel), path.toString());
    }
  }

  /** Reads the tensors and the metadata of a safetensors file held in memory. */
  public static Contents parse(byte[] bytes) throws SafeTensorsFormatException {
    try {
      return parse(new ByteSource(bytes), "bytes");
    } catch (SafeTensorsFormatException e) {
      throw e;
    } catch (IOException e) {
      throw new SafeTensorsFormatException("safetensors: " + e.getMessage());
    }
  }

  /** Where the bytes come from: a file, or an array. */
  private interface Source {
    long size() throws IOException;

    /** Fills {@code dst} from {@code position} or throws when the source ends first. */
    void readFully(long position, ByteBuffer dst) throws IOException;
  }

  private record FileSource(FileChannel channel) implements Source {
    @Override
    public long size() throws IOException {
      return channel.size();
    }

    @Override
    public void readFully(long position, ByteBuffer dst) throws IOException {
      long at = position;
      while (dst.hasRemaining()) {
        int n = channel.read(dst, at);
        if (n < 0) {
          throw new SafeTensorsFormatException("safetensors: the file ended early (it shrank while being read?)");
        }
        at += n;
      }
    }
  }

  private record ByteSource(byte[] bytes) implements Source {
    @Override
    public long size() {
      return bytes.length;
    }

    @Override
    public void readFully(long position, ByteBuffer dst) {
      dst.put(bytes, (int) position, dst.remaining());
    }
  }

  /** One validated header entry. */
  private record Entry(String name, Dtype dtype, int[] shape, long begin, long end) {}

  private static Contents parse(Source source, String where) throws IOException {
    long size = source.size();
    if (size < 8) {
      throw new SafeTensorsFormatException("safetensors: file is " + size
          + " bytes, shorter than the 8-byte header length (" + where + ")");
    }
    ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    source.readFully(0, lengthBytes);
    long headerLength = lengthBytes.getLong(0);
    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
      throw new SafeTensorsFormatException("safetensors: header length " + Long.toUnsignedString(headerLength)
          + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
    }
    if (headerLength > size - 8) {
      throw new SafeTensorsFormatException("safetensors: header length " + headerLength
          + " runs past the end of the file (" + size + " bytes)");
    }
    if (headerLength < 2) {
      throw new SafeTensorsFormatException("safetensors: header length " + headerLength
          + " is too short for a JSON object");
    }
    ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
    source.readFully(8, headerBytes);
    headerBytes.flip();
    String headerText;
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(headerBytes);
      headerText = chars.toString();
    } catch (CharacterCodingException e) {
      throw new SafeTensorsFormatException("safetensors header: not valid UTF-8");
    }
    Object root = HeaderJson.parse(headerText);
    if (!(root instanceof Map<?, ?> rootMap)) {
      throw new SafeTensorsFormatException("safetensors header: expected a JSON object at the top level, got "
          + typeName(root));
    }
    long dataSize = size - 8 - headerLength;
    Map<String, String> metadata = Collections.emptyMap();
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<?, ?> e : rootMap.entrySet()) {
      String name = (String) e.getKey();
      if (name.equals(METADATA_KEY)) {
        metadata = metadata(e.getValue());
      } else {
        entries.add(entry(name, e.getValue(), dataSize));
      }
    }
    checkLayout(entries, dataSize);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    long dataStart = 8 + headerLength;
    for (Entry entry : entries) {
      tensors.put(entry.name(), readTensor(source, dataStart, entry));
    }
    return new Contents(Collections.unmodifiableMap(tensors), metadata);
  }

  private static Map<String, String> metadata(Object value) throws SafeTensorsFormatException {
    if (!(value instanceof Map<?, ?> map)) {
      throw new SafeTensorsFormatException("safetensors header: \"__metadata__\" must be an object of strings, got "
          + typeName(value));
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getValue() instanceof String s)) {
        throw new SafeTensorsFormatException("safetensors header: \"__metadata__\" value of \"" + e.getKey()
            + "\" must be a string, got " + typeName(e.getValue()));
      }
      metadata.put((String) e.getKey(), s);
    }
    return Collections.unmodifiableMap(metadata);
  }

  private static Entry entry(String name, Object value, long dataSize) throws SafeTensorsFormatException {
    String where = "safetensors header: tensor \"" + name + "\"";
    if (!(value instanceof Map<?, ?> info)) {
      throw new SafeTensorsFormatException(where + " must be an object, got " + typeName(value));
    }
    for (String field : List.of("dtype", "shape", "data_offsets")) {
      if (!info.containsKey(field)) {
        throw new SafeTensorsFormatException(where + " has no \"" + field + "\"");
      }
    }
    if (!(info.get("dtype") instanceof String dtypeName)) {
      throw new SafeTensorsFormatException(where + ": \"dtype\" must be a string, got " + typeName(info.get("dtype")));
    }
    Dtype dtype = dtype(where, dtypeName);
    if (!(info.get("shape") instanceof List<?> shapeList)) {
      throw new SafeTensorsFormatException(where + ": \"shape\" must be an array, got " + typeName(info.get("shape")));
    }
    if (shapeList.size() > 64) {
      throw new SafeTensorsFormatException(where + ": \"shape\" has " + shapeList.size() + " dimensions (at most 64)");
    }
    int[] shape = new int[shapeList.size()];
    long elements = 1;
    boolean overflow = false;
    for (int d = 0; d < shape.length; d++) {
      long dim = nonNegativeInteger(where + ": \"shape\"[" + d + "]", shapeList.get(d));
      if (dim > Integer.MAX_VALUE) {
        throw new SafeTensorsFormatException(where + ": dimension " + d + " is " + dim
            + ", more than a Java array can index");
      }
      shape[d] = (int) dim;
      if (!overflow && elements != 0) {
        try {
          elements = Math.multiplyExact(elements, dim);
        } catch (ArithmeticException e) {
          overflow = true;
        }
      }
    }
    if (Arrays.stream(shape).anyMatch(d -> d == 0)) {
      elements = 0;
      overflow = false;
    }
    if (overflow) {
      throw new SafeTensorsFormatException(where + ": shape " + Arrays.toString(shape) + " overflows the element count");
    }
    if (!(info.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2) {
      throw new SafeTensorsFormatException(where + ": \"data_offsets\" must be an array of two integers, got "
          + describe(info.get("data_offsets")));
    }
    long begin = nonNegativeInteger(where + ": \"data_offsets\"[0]", offsets.get(0));
    long end = nonNegativeInteger(where + ": \"data_offsets\"[1]", offsets.get(1));
    if (begin > end) {
      throw new SafeTensorsFormatException(where + ": data_offsets [" + begin + ", " + end + "] are reversed");
    }
    if (end > dataSize) {
      throw new SafeTensorsFormatException(where + ": data_offsets [" + begin + ", " + end
          + "] run past the end of the data (" + dataSize + " bytes)");
    }
    if (elements > (end - begin) / dtype.bytes + 1 || elements * dtype.bytes != end - begin) {
      throw new SafeTensorsFormatException(where + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs "
          + (elements > Long.MAX_VALUE / 8 ? "more than " + Long.MAX_VALUE : elements * dtype.bytes)
          + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
    }
    if (elements > Integer.MAX_VALUE - 8) {
      throw new SafeTensorsFormatException(where + ": " + elements + " elements do not fit in a Java float array");
    }
    return new Entry(name, dtype, shape, begin, end);
  }

  private static Dtype dtype(String where, String name) throws SafeTensorsFormatException {
    for (Dtype d : Dtype.values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    if (OTHER_DTYPES.contains(name)) {
      throw new SafeTensorsFormatException(where + ": dtype " + name
          + " is not supported; recurrent4j reads F32, F64, F16 and BF16");
    }
    throw new SafeTensorsFormatException(where + ": unknown dtype \"" + name + "\"");
  }

  private static long nonNegativeInteger(String what, Object value) throws SafeTensorsFormatException {
    if (!(value instanceof BigInteger big)) {
      throw new SafeTensorsFormatException(what + " must be a non-negative integer, got " + describe(value));
    }
    if (big.signum() < 0) {
      throw new SafeTensorsFormatException(what + " must be a non-negative integer, got " + big);
    }
    if (big.bitLength() > 62) {
      throw new SafeTensorsFormatException(what + " is " + big + ", which overflows");
    }
    return big.longValue();
  }

  /** The tensors' byte ranges must tile the data exactly: from 0, no gaps, no overlaps, to the end. */
  private static void checkLayout(List<Entry> entries, long dataSize) throws SafeTensorsFormatException {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long expected = 0;
    Entry previous = null;
    for (Entry e : sorted) {
      if (e.begin() < expected) {
        throw new SafeTensorsFormatException("safetensors header: tensor \"" + e.name() + "\" at data_offsets ["
            + e.begin() + ", " + e.end() + "] overlaps tensor \"" + previous.name() + "\" at [" + previous.begin()
            + ", " + previous.end() + "]");
      }
      if (e.begin() > expected) {
        throw new SafeTensorsFormatException("safetensors header: a hole of " + (e.begin() - expected)
            + " bytes before tensor \"" + e.name() + "\" at data_offsets [" + e.begin() + ", " + e.end() + "]");
      }
      expected = e.end();
      previous = e;
    }
    if (expected != dataSize) {
      throw new SafeTensorsFormatException("safetensors: the tensors cover " + expected + " bytes of data but the file holds "
          + dataSize + " bytes after the header");
    }
  }

  private static Tensor readTensor(Source source, long dataStart, Entry entry) throws IOException {
    int count = (int) ((entry.end() - entry.begin()) / entry.dtype().bytes);
    float[] out = new float[count];
    long position = dataStart + entry.begin();
    int chunkElements = CHUNK_BYTES / entry.dtype().bytes;
    ByteBuffer buffer = ByteBuffer.allocate(Math.min(CHUNK_BYTES, count * entry.dtype().bytes))
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int done = 0; done < count; ) {
      int n = Math.min(chunkElements, count - done);
      buffer.clear().limit(n * entry.dtype().bytes);
      source.readFully(position, buffer);
      buffer.flip();
      switch (entry.dtype()) {
        case F32 -> buffer.asFloatBuffer().get(out, done, n);
        case F64 -> {
          for (int i = 0; i < n; i++) {
            out[done + i] = (float) buffer.getDouble(i * 8);
          }
        }
        case F16 -> {
          for (int i = 0; i < n; i++) {
            out[done + i] = halfToFloat(buffer.getShort(i * 2));
          }
        }
        case BF16 -> {
          for (int i = 0; i < n; i++) {
            out[done + i] = Float.intBitsToFloat((buffer.getShort(i * 2) & 0xFFFF) << 16);
          }
        }
      }
      done += n;
      position += (long) n * entry.dtype().bytes;
    }
    return Tensor.of(out, entry.shape());
  }

  /** IEEE 754 binary16 to float, exactly (every half value is a float). */
  static float halfToFloat(short bits) {
    int h = bits & 0xFFFF;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1F;
    int mantissa = h & 0x3FF;
    if (exponent == 0) {
      float magnitude = mantissa * 0x1.0p-24f; // zero or subnormal
      return sign == 0 ? magnitude : -magnitude;
    }
    if (exponent == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13)); // infinity or NaN
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }

  /** Writes the tensors as F32, in the map's order, with no metadata. */
  public static void write(Path path, Map<String, Tensor> tensors) throws IOException {
    write(path, tensors, Map.of());
  }

  /**
   * Writes the tensors as F32, in the map's order, with the given {@code __metadata__} (omitted when
   * empty). The file is replaced atomically: readers see the old file or the new one, never a part.
   */
  public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    AtomicFiles.write(path, toBytes(tensors, metadata));
  }

  /** The bytes of a safetensors file holding the tensors as F32, deterministically. */
  public static byte[] toBytes(Map<String, Tensor> tensors, Map<String, String> metadata) {
    if (tensors == null || metadata == null) {
      throw new IllegalArgumentException("SafeTensors.write: tensors and metadata must not be null");
    }
    StringBuilder header = new StringBuilder("{");
    if (!metadata.isEmpty()) {
      HeaderJson.appendString(header, METADATA_KEY);
      header.append(":{");
      boolean first = true;
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        if (e.getKey() == null || e.getValue() == null) {
          throw new IllegalArgumentException("SafeTensors.write: metadata keys and values must not be null");
        }
        header.append(first ? "" : ",");
        HeaderJson.appendString(header, checkEncodable(e.getKey()));
        header.append(':');
        HeaderJson.appendString(header, checkEncodable(e.getValue()));
        first = false;
      }
      header.append('}');
    }
    long offset = 0;
    boolean first = metadata.isEmpty();
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      String name = e.getKey();
      Tensor t = e.getValue();
      if (name == null || t == null) {
        throw new IllegalArgumentException("SafeTensors.write: tensor names and tensors must not be null");
      }
      if (name.equals(METADATA_KEY)) {
        throw new IllegalArgumentException("SafeTensors.write: \"" + METADATA_KEY + "\" is reserved and cannot name a tensor");
      }
      header.append(first ? "" : ",");
      first = false;
      HeaderJson.appendString(header, checkEncodable(name));
      header.append(":{\"dtype\":\"F32\",\"shape\":[");
      int[] shape = t.shape();
      for (int d = 0; d < shape.length; d++) {
        header.append(d == 0 ? "" : ",").append(shape[d]);
      }
      long end = offset + 4L * t.size();
      header.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
      offset = end;
    }
    header.append('}');
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8; // keeps the data 8-byte aligned, as the reference writer does
    long total = 8L + padded + offset;
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("SafeTensors.write: " + total + " bytes do not fit in one Java array");
    }
    ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(padded);
    out.put(json);
    for (int i = json.length; i < padded; i++) {
      out.put((byte) ' ');
    }
    for (Tensor t : tensors.values()) {
      out.asFloatBuffer().put(t.data());
      out.position(out.position() + 4 * t.size());
    }
    return out.array();
  }

  private static String checkEncodable(String s) {
    if (!StandardCharsets.UTF_8.newEncoder().canEncode(s)) {
      throw new IllegalArgumentException("SafeTensors.write: \"" + s + "\" has an unpaired surrogate and cannot be UTF-8");
    }
    return s;
  }

  private static String typeName(Object value) {
    if (value instanceof Map) {
      return "an object";
    }
    if (value instanceof List) {
      return "an array";
    }
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Number) {
      return "a number";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    return "null";
  }

  private static String describe(Object value) {
    if (value instanceof String s) {
      return "the string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
    }
    if (value instanceof Number n) {
      return "the number " + n;
    }
    return typeName(value);
  }
}
