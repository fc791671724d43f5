package io.github.recurrent4j.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of valid files fed to the reader: each read either succeeds, with every tensor's
 * size equal to its shape, or throws {@link SafeTensorsFormatException}, and nothing else.
 * A longer soak: {@code mvn -B test -Dtest=SafeTensorsFuzzTest -Dfuzz.iterations=1000000}.
 */
class SafeTensorsFuzzTest {
  static List<byte[]> seeds() throws Exception {
    List<byte[]> seeds = new ArrayList<>();
    Map<String, Tensor> t = new LinkedHashMap<>();
    t.put("a", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
    t.put("b", Tensor.scalar(7));
    t.put("c", Tensor.zeros(0, 2));
    seeds.add(SafeTensors.toBytes(t, Map.of("k", "v")));
    for (String f : new String[] {"dtypes.safetensors", "linear.safetensors", "embedding.safetensors"}) {
      seeds.add(Files.readAllBytes(Path.of("src/test/resources/fixtures", f)));
    }
    return seeds;
  }

  /** One mutation of a copy of {@code file}, described for the failure message. */
  static byte[] mutate(byte[] file, Rng rng, StringBuilder how) {
    byte[] b = file.clone();
    long headerLength = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    int headerEnd = (int) Math.min(b.length, 8 + headerLength);
    switch (rng.nextInt(8)) {
      case 0 -> { // flip bytes anywhere
        int n = 1 + rng.nextInt(4);
        for (int i = 0; i < n; i++) {
          int at = rng.nextInt(b.length);
          b[at] ^= (byte) (1 << rng.nextInt(8));
        }
        how.append("flip ").append(n);
      }
      case 1 -> { // truncate
        int len = rng.nextInt(b.length);
        how.append("truncate to ").append(len);
        return java.util.Arrays.copyOf(b, len);
      }
      case 2 -> { // header length edits, from small to absurd
        long[] values = {0, 1, 7, headerLength - 1, headerLength + 1, b.length, Long.MAX_VALUE, -1, 1L << 40,
            rng.nextLong()};
        long v = values[rng.nextInt(values.length)];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v);
        how.append("header length ").append(v);
      }
      case 7 -> { // a consistent but huge claim: shape [n] and offsets [0, 4n] for the first tensor
        String header = new String(b, 8, headerEnd - 8, StandardCharsets.ISO_8859_1);
        long n = 1L << (16 + rng.nextInt(30));
        String mutated = header.replaceFirst("\"shape\":\\[[^\\]]*\\],\"data_offsets\":\\[\\d+,\\d+\\]",
            "\"shape\":[" + n + "],\"data_offsets\":[0," + 4 * n + "]");
        how.append("claims ").append(n).append(" floats");
        return rebuild(mutated, b, headerEnd);
      }
      case 3, 4 -> { // replace a number in the header: offsets and shapes
        String header = new String(b, 8, headerEnd - 8, StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\d+").matcher(header);
        List<int[]> numbers = new ArrayList<>();
        while (m.find()) {
          numbers.add(new int[] {m.start(), m.end()});
        }
        if (numbers.isEmpty()) {
          return b;
        }
        int[] pick = numbers.get(rng.nextInt(numbers.size()));
        String[] replacements = {"0", "-1", "99999999999999999999", "4294967296", "2147483647", "1e3", "1.5",
            Integer.toString(rng.nextInt(100)), "\"x\"", "[]", "null"};
        String r = replacements[rng.nextInt(replacements.length)];
        String mutated = header.substring(0, pick[0]) + r + header.substring(pick[1]);
        how.append("number -> ").append(r);
        return rebuild(mutated, b, headerEnd);
      }
      default -> { // JSON edits: delete, duplicate or insert structural characters
        String header = new String(b, 8, headerEnd - 8, StandardCharsets.ISO_8859_1);
        if (header.isEmpty()) {
          return b;
        }
        int at = rng.nextInt(header.length());
        String[] inserts = {"{", "}", "[", "]", ",", ":", "\"", "\\", "[[[[[[[[[[[[[[[[[[[[[[[[", "\u0001", "\"a\":1,"};
        String mutated = switch (rng.nextInt(3)) {
          case 0 -> header.substring(0, at) + header.substring(at + 1);
          case 1 -> header.substring(0, at) + header.charAt(at) + header.substring(at);
          default -> header.substring(0, at) + inserts[rng.nextInt(inserts.length)] + header.substring(at);
        };
        how.append("json edit at ").append(at);
        return rebuild(mutated, b, headerEnd);
      }
    }
    return b;
  }

  /** A file with a new header text (its length field updated) and the old data section. */
  static byte[] rebuild(String header, byte[] old, int oldHeaderEnd) {
    byte[] json = header.getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer out = ByteBuffer.allocate(8 + json.length + old.length - oldHeaderEnd).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(json.length).put(json).put(old, oldHeaderEnd, old.length - oldHeaderEnd);
    return out.array();
  }

  @Test
  void mutatedFilesAreReadConsistentlyOrRejectedWithTheFormatException(@TempDir Path dir) throws Exception {
    int iterations = Integer.getInteger("fuzz.iterations", 5_000);
    int accepted = fuzz(iterations, Long.getLong("fuzz.seed", 2026), dir);
    assertThat(accepted).as("some mutations keep a valid file").isPositive();
    assertThat(accepted).as("most mutations break it").isLessThan(iterations);
  }

  /**
   * The same fuzzing in a separate JVM with a 256 MB heap, which a reader that believed a header's
   * sizes before checking them against the file would exhaust; it must also finish, not hang.
   */
  @Test
  void underA256MegabyteHeapNothingRunsOutOfMemoryOrHangs(@TempDir Path dir) throws Exception {
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), SmallHeap.class.getName(), "3000", "77",
        dir.toString())).redirectErrorStream(true).start();
    boolean finished = p.waitFor(120, TimeUnit.SECONDS);
    if (!finished) {
      p.destroyForcibly();
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(finished).as("the fuzzing JVM finished within 120 s; output: %s", output).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("fuzz: 3000 mutations, max heap (\\d+) MB").matcher(output);
    assertThat(m.find()).as(output).isTrue();
    assertThat(Integer.parseInt(m.group(1))).as("the child's heap limit in MB").isLessThanOrEqualTo(256);
  }

  /** The child JVM of {@link #underA256MegabyteHeapNothingRunsOutOfMemoryOrHangs}. */
  static final class SmallHeap {
    public static void main(String[] args) throws Exception {
      int iterations = Integer.parseInt(args[0]);
      int accepted = fuzz(iterations, Long.parseLong(args[1]), Path.of(args[2]));
      System.out.printf("fuzz: %d mutations, max heap %d MB, %d accepted%n", iterations,
          Runtime.getRuntime().maxMemory() >> 20, accepted);
    }
  }

  /**
   * Runs {@code iterations} seeded mutations through the reader, every eighth one from a file on
   * disk (the streaming path) and the rest from memory; returns how many were accepted.
   */
  static int fuzz(int iterations, long seed, Path dir) throws Exception {
    List<byte[]> seeds = seeds();
    Rng rng = new Rng(seed);
    int accepted = 0;
    Path file = dir.resolve("fuzz.safetensors");
    for (int i = 0; i < iterations; i++) {
      StringBuilder how = new StringBuilder();
      byte[] bytes = mutate(seeds.get(rng.nextInt(seeds.size())), rng, how);
      try {
        SafeTensors.Contents c;
        if (i % 8 == 0) {
          Files.write(file, bytes);
          c = SafeTensors.load(file);
        } else {
          c = SafeTensors.parse(bytes);
        }
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
          if (e.getValue().size() != Tensor.sizeOf(e.getValue().shape())) {
            throw new AssertionError("iteration " + i + " (" + how + "): " + e.getKey() + " has "
                + e.getValue().size() + " values for shape " + e.getValue().shapeString());
          }
        }
        accepted++;
      } catch (SafeTensorsFormatException expected) {
        if (expected.getMessage() == null || expected.getMessage().isBlank()) {
          throw new AssertionError("iteration " + i + " (" + how + "): a format exception without a message");
        }
      } catch (Throwable other) {
        throw new AssertionError("iteration " + i + " (" + how + ") threw " + other, other);
      }
    }
    return accepted;
  }
}
