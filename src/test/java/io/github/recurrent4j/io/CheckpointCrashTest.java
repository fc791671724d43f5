package io.github.recurrent4j.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.tensor.Tensor;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A JVM killed with SIGKILL while it writes checkpoints in a loop leaves the last complete one. */
class CheckpointCrashTest {
  @TempDir
  Path dir;

  /** Writes 8 MB checkpoints in a loop, each filled with its own number, and reports each one. */
  public static final class Writer {
    public static void main(String[] args) throws Exception {
      Path path = Path.of(args[0]);
      for (int i = 0; ; i++) {
        SafeTensors.write(path, Map.of("weights", Tensor.full(i, 2_000_000)), Map.of("i", Integer.toString(i)));
        System.out.println("wrote " + i);
        System.out.flush();
      }
    }
  }

  @Test
  void theLastCompleteCheckpointSurvivesSigkill() throws Exception {
    Path path = dir.resolve("checkpoint.safetensors");
    for (int round = 0; round < 3; round++) {
      Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
          System.getProperty("java.class.path"), Writer.class.getName(), path.toString()))
          .redirectErrorStream(true).start();
      int reported = -1;
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.startsWith("wrote ")) {
            reported = Integer.parseInt(line.substring(6));
            if (reported >= 2 + round) {
              Thread.sleep(7 * round); // land the kill at different points of the next write
              p.destroyForcibly(); // SIGKILL on Linux
              break;
            }
          }
        }
      }
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      SafeTensors.Contents c = SafeTensors.load(path);
      int saved = Integer.parseInt(c.metadata().get("i"));
      assertThat(saved).as("the last reported or the one whose rename beat the kill").isBetween(reported, reported + 1);
      assertThat(c.tensors().get("weights").data()).containsOnly((float) saved);
    }
  }
}
