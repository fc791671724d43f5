package io.github.recurrent4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Starts fresh JVMs, since the choice is made once per JVM. */
class KernelSelectionTest {
  /** Prints the active kernels' name; run in a child JVM. */
  public static final class PrintActive {
    public static void main(String[] args) {
      System.out.println("active=" + Kernels.active().name());
    }
  }

  private static String run(String... jvmArgs) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(jvmArgs));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(PrintActive.class.getName());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("child JVM did not finish: " + command);
    }
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void simdIsChosenWhenTheModuleIsPresent() throws Exception {
    String out = run("--add-modules", "jdk.incubator.vector");
    assertThat(out).contains("active=simd-").doesNotContain("SIMD kernels are off");
  }

  @Test
  void withoutTheModuleScalarRunsAndOneLineSaysHowToEnableSimd() throws Exception {
    String out = run();
    assertThat(out).contains("active=scalar");
    assertThat(out).contains("recurrent4j: SIMD kernels are off because the JVM was started without the Vector API;"
        + " add --add-modules jdk.incubator.vector to the java command for the fast path");
    assertThat(out.split("SIMD kernels are off", -1)).hasSize(2);
  }

  @Test
  void thePropertyTurnsSimdOff() throws Exception {
    String out = run("--add-modules", "jdk.incubator.vector", "-Drecurrent4j.simd=false");
    assertThat(out).contains("active=scalar")
        .contains("recurrent4j: SIMD kernels disabled by -Drecurrent4j.simd=false; using scalar kernels");
  }
}
