package io.github.recurrent4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafeTensorsTest {
  @TempDir
  Path dir;

  static Path fixture(String name) {
    return Path.of("src/test/resources/fixtures", name);
  }

  /** A file from a header text and a data section, with the header length as written. */
  static byte[] file(String header, int dataBytes) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json);
    return b.array();
  }

  static byte[] withLength(long headerLength, byte[] rest) {
    ByteBuffer b = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(headerLength).put(rest);
    return b.array();
  }

  @Test
  void roundTripKeepsOrderShapesValuesAndMetadata() throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("z.weight", Tensor.of(new float[] {1, -2, 3.5f, Float.MIN_VALUE, -0f, Float.NaN}, 2, 3));
    tensors.put("a.bias", Tensor.of(new float[] {Float.POSITIVE_INFINITY, 7}, 2));
    tensors.put("scalar", Tensor.scalar(42f));
    tensors.put("empty", Tensor.zeros(0, 4));
    tensors.put("name with \"quotes\", \\ and é中", Tensor.of(new float[] {5}, 1, 1, 1));
    Path path = dir.resolve("model.safetensors");
    SafeTensors.write(path, tensors, Map.of("epoch", "3"));

    SafeTensors.Contents back = SafeTensors.load(path);
    assertThat(back.tensors().keySet()).containsExactlyElementsOf(tensors.keySet());
    for (String name : tensors.keySet()) {
      Tensor expected = tensors.get(name);
      Tensor actual = back.tensors().get(name);
      assertThat(actual.shape()).as(name).containsExactly(expected.shape());
      for (int i = 0; i < expected.size(); i++) {
        assertThat(Float.floatToRawIntBits(actual.data()[i])).as(name + "[" + i + "]")
            .isEqualTo(Float.floatToRawIntBits(expected.data()[i]));
      }
    }
    assertThat(back.metadata()).containsExactly(Map.entry("epoch", "3"));
  }

  @Test
  void writingIsDeterministicAlignedAndAtomic() throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("w", Tensor.of(new float[] {1, 2, 3}, 3));
    Path path = dir.resolve("w.safetensors");
    Files.writeString(path, "an older file that must be replaced whole");
    SafeTensors.write(path, tensors);
    byte[] first = Files.readAllBytes(path);
    SafeTensors.write(path, tensors);
    assertThat(Files.readAllBytes(path)).isEqualTo(first);
    assertThat(SafeTensors.toBytes(tensors, Map.of())).isEqualTo(first);
    long headerLength = ByteBuffer.wrap(first).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertThat((8 + headerLength) % 8).as("data section is 8-byte aligned").isZero();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("w.safetensors");
    }
  }

  @Test
  void readsEveryFloatDtypeWrittenByThePythonSide() throws IOException {
    SafeTensors.Contents c = SafeTensors.load(fixture("dtypes.safetensors"));
    Map<String, Tensor> t = c.tensors();
    assertThat(t.keySet()).containsExactly("f32", "f64", "f16", "bf16", "bf16_as_f32", "nan_f16", "scalar", "empty");
    float[] expected = {0f, -0f, 1f, -2.5f, 0.125f, 65504f, 0x1.0p-24f, 0x1.0p-14f, Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY, 3f, 1024f};
    for (String name : new String[] {"f32", "f64", "f16"}) {
      assertThat(t.get(name).shape()).as(name).containsExactly(3, 4);
      assertThat(t.get(name).data()).as(name).containsExactly(expected);
      assertThat(Float.floatToRawIntBits(t.get(name).data()[1])).as(name + " keeps -0").isEqualTo(0x80000000);
    }
    assertThat(t.get("bf16").shape()).containsExactly(2, 6);
    assertThat(t.get("bf16").data()).containsExactly(t.get("bf16_as_f32").data());
    assertThat(t.get("nan_f16").data()[0]).isNaN();
    assertThat(t.get("scalar").shape()).isEmpty();
    assertThat(t.get("scalar").data()).containsExactly(7f);
    assertThat(t.get("empty").shape()).containsExactly(0, 3);
    assertThat(c.metadata()).containsEntry("format", "pt").containsEntry("note", "written by the Python side, é中");
  }

  @Test
  void halfPrecisionConversionIsExactForEveryBitPattern() {
    for (int bits = 0; bits < 0x10000; bits++) {
      float f = SafeTensors.halfToFloat((short) bits);
      int exponent = (bits >>> 10) & 0x1F;
      int mantissa = bits & 0x3FF;
      double expected;
      if (exponent == 0) {
        expected = mantissa * Math.pow(2, -24);
      } else if (exponent == 31) {
        expected = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
      } else {
        expected = (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
      }
      if ((bits & 0x8000) != 0) {
        expected = -expected;
      }
      if (Double.isNaN(expected)) {
        assertThat(f).as("bits %04x", bits).isNaN();
      } else {
        assertThat((double) f).as("bits %04x", bits).isEqualTo(expected);
      }
    }
  }

  static Stream<Arguments> hostileFiles() {
    String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    return Stream.of(
        Arguments.of("empty file", new byte[0],
            "safetensors: file is 0 bytes, shorter than the 8-byte header length (bytes)"),
        Arguments.of("7 bytes", new byte[7],
            "safetensors: file is 7 bytes, shorter than the 8-byte header length (bytes)"),
        Arguments.of("header length past the end", withLength(50, new byte[10]),
            "safetensors: header length 50 runs past the end of the file (18 bytes)"),
        Arguments.of("header length above 100 MB", withLength(200_000_000L, new byte[10]),
            "safetensors: header length 200000000 exceeds the limit of 100000000 bytes"),
        Arguments.of("header length with the top bit set", withLength(-1L, new byte[10]),
            "safetensors: header length 18446744073709551615 exceeds the limit of 100000000 bytes"),
        Arguments.of("header too short", withLength(1, new byte[] {'{'}),
            "safetensors: header length 1 is too short for a JSON object"),
        Arguments.of("malformed JSON", file("{\"a\":", 0),
            "safetensors header: malformed JSON: unexpected end of input at character 5"),
        Arguments.of("trailing garbage", file("{}x", 0),
            "safetensors header: malformed JSON: unexpected content after the JSON value at character 2"),
        Arguments.of("not UTF-8", withLength(4, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}),
            "safetensors header: not valid UTF-8"),
        Arguments.of("top level is an array", file("[1,2]", 0),
            "safetensors header: expected a JSON object at the top level, got an array"),
        Arguments.of("entry is a string", file("{\"a\":\"F32\"}", 0),
            "safetensors header: tensor \"a\" must be an object, got a string"),
        Arguments.of("dtype missing", file("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
            "safetensors header: tensor \"a\" has no \"dtype\""),
        Arguments.of("dtype is a number", file("{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
            "safetensors header: tensor \"a\": \"dtype\" must be a string, got a number"),
        Arguments.of("unknown dtype", file("{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
            "safetensors header: tensor \"a\": unknown dtype \"F33\""),
        Arguments.of("unsupported dtype", file("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8),
            "safetensors header: tensor \"a\": dtype I64 is not supported; recurrent4j reads F32, F64, F16 and BF16"),
        Arguments.of("shape is not an array", file("{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8),
            "safetensors header: tensor \"a\": \"shape\" must be an array, got a number"),
        Arguments.of("negative dimension", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8),
            "safetensors header: tensor \"a\": \"shape\"[0] must be a non-negative integer, got -2"),
        Arguments.of("fractional dimension", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8),
            "safetensors header: tensor \"a\": \"shape\"[0] must be a non-negative integer, got the number 2.5"),
        Arguments.of("huge dimension",
            file("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8),
            "safetensors header: tensor \"a\": \"shape\"[0] is 99999999999999999999, which overflows"),
        Arguments.of("overflowing shape",
            file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", 8),
            "safetensors header: tensor \"a\": shape [2147483647, 2147483647, 2147483647] overflows the element count"),
        Arguments.of("shape larger than its bytes",
            file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
            "safetensors header: tensor \"a\": shape [3] of F32 needs 12 bytes but data_offsets [0, 8] hold 8"),
        Arguments.of("shape that would allocate terabytes",
            file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,8]}}", 8),
            "safetensors header: tensor \"a\": shape [1000000, 1000000] of F32 needs 4000000000000 bytes but data_offsets [0, 8] hold 8"),
        Arguments.of("offsets not a pair", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8),
            "safetensors header: tensor \"a\": \"data_offsets\" must be an array of two integers, got an array"),
        Arguments.of("reversed offsets", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8),
            "safetensors header: tensor \"a\": data_offsets [8, 0] are reversed"),
        Arguments.of("offsets past the end", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
            "safetensors header: tensor \"a\": data_offsets [0, 16] run past the end of the data (8 bytes)"),
        Arguments.of("overlapping tensors", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
            "safetensors header: tensor \"b\" at data_offsets [4, 12] overlaps tensor \"a\" at [0, 8]"),
        Arguments.of("a hole between tensors", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12),
            "safetensors header: a hole of 4 bytes before tensor \"b\" at data_offsets [8, 12]"),
        Arguments.of("data after the last tensor", file(ok, 12),
            "safetensors: the tensors cover 8 bytes of data but the file holds 12 bytes after the header"),
        Arguments.of("duplicate tensor name", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
            "safetensors header: malformed JSON: duplicate key \"a\" at character 54"),
        Arguments.of("metadata of numbers", file("{\"__metadata__\":{\"epoch\":3}}", 0),
            "safetensors header: \"__metadata__\" value of \"epoch\" must be a string, got a number"),
        Arguments.of("absurd nesting", file("{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}", 0),
            "safetensors header: malformed JSON: nesting deeper than 16 levels at character 21"),
        Arguments.of("control character in a string", file("{\"a\u0001\":1}", 0),
            "safetensors header: malformed JSON: control character U+0001 in a string at character 3"),
        Arguments.of("lone surrogate escape", file("{\"\\ud800\":1}", 0),
            "safetensors header: malformed JSON: lone high surrogate escape at character 8"),
        Arguments.of("bad escape", file("{\"\\x\":1}", 0),
            "safetensors header: malformed JSON: invalid escape '\\x' at character 3"),
        Arguments.of("leading zero", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", 8),
            "safetensors header: malformed JSON: expected ',' or ']' in an array at character 30"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileFiles")
  void hostileFilesAreRejectedWithWhatIsWrong(String caseName, byte[] bytes, String message) throws IOException {
    assertThatThrownBy(() -> SafeTensors.parse(bytes))
        .isInstanceOf(SafeTensorsFormatException.class)
        .hasMessage(message);
    Path path = dir.resolve("hostile.safetensors");
    Files.write(path, bytes);
    assertThatThrownBy(() -> SafeTensors.read(path))
        .isInstanceOf(SafeTensorsFormatException.class)
        .isInstanceOf(IOException.class)
        .hasMessage(message.replace("(bytes)", "(" + path + ")"));
  }

  @Test
  void unknownFieldsInAnEntryAreIgnoredAsTheReferenceReaderDoes() throws IOException {
    byte[] bytes = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":[1]}}", 4);
    assertThat(SafeTensors.parse(bytes).tensors().get("a").data()).containsExactly(0f);
  }

  @Test
  void writerRejectsWhatTheFormatCannotHold() {
    assertThatThrownBy(() -> SafeTensors.write(dir.resolve("x"), Map.of("__metadata__", Tensor.zeros(1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SafeTensors.write: \"__metadata__\" is reserved and cannot name a tensor");
    assertThatThrownBy(() -> SafeTensors.write(dir.resolve("x"), Map.of("bad\ud800", Tensor.zeros(1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SafeTensors.write: \"bad\ud800\" has an unpaired surrogate and cannot be UTF-8");
    assertThat(dir.resolve("x")).doesNotExist();
  }
}
