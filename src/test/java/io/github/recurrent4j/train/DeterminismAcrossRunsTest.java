package io.github.recurrent4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.kernel.Parallel;
import io.github.recurrent4j.loss.CrossEntropy;
import io.github.recurrent4j.nn.Bidirectional;
import io.github.recurrent4j.nn.Embedding;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.tensor.Rng;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The same seeded training in separate JVMs, twice on the SIMD kernels and twice on the scalar
 * ones, on 2 threads: each path gives the same weights to the bit from run to run.
 */
class DeterminismAcrossRunsTest {
  /** Trains a small bidirectional LSTM tagger and prints the kernels' name and a digest of every weight's bits. */
  public static final class Train {
    public static void main(String[] args) {
      Parallel.setThreads(2);
      Rng rng = new Rng(99);
      Embedding embedding = new Embedding(30, 16, rng);
      Bidirectional lstm = new Bidirectional(new Lstm(16, 48, rng), Bidirectional.Merge.CONCAT, rng);
      Linear head = new Linear(96, 5, true, rng);
      List<Parameter> all = new ArrayList<>(embedding.parameters());
      all.addAll(lstm.parameters());
      all.addAll(head.parameters());
      Adam adam = new Adam(all, 0.01);
      CrossEntropy loss = new CrossEntropy();
      for (int step = 0; step < 25; step++) {
        int[] ids = new int[16 * 20];
        int[] tags = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = rng.nextInt(30);
          tags[i] = (ids[i] + (i % 20 > 0 ? ids[i - 1] : 0)) % 5;
        }
        adam.zeroGrad();
        loss.forward(head.forward(lstm.forward(embedding.forward(ids, 16, 20), null, null)), tags);
        embedding.backward(lstm.backward(head.backward(loss.backward()), null));
        adam.step();
      }
      long digest = 17;
      for (Parameter p : all) {
        for (float v : p.value().data()) {
          digest = digest * 1_000_003L + Float.floatToRawIntBits(v);
        }
      }
      System.out.println("kernels=" + Kernels.active().name() + " digest=" + Long.toHexString(digest));
    }
  }

  static String[] run(String... jvmArgs) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(jvmArgs));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Train.class.getName()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("child JVM did not finish: " + command);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("kernels=(\\S+) digest=(\\S+)").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return new String[] {m.group(1), m.group(2)};
  }

  @Test
  void eachKernelPathTrainsToTheSameBitsFromRunToRun() throws Exception {
    String[] simd1 = run("--add-modules", "jdk.incubator.vector");
    String[] simd2 = run("--add-modules", "jdk.incubator.vector");
    String[] scalar1 = run("--add-modules", "jdk.incubator.vector", "-Drecurrent4j.simd=false");
    String[] scalar2 = run("-Drecurrent4j.simd=false");

    assertThat(simd1[0]).startsWith("simd-");
    assertThat(scalar1[0]).isEqualTo("scalar");
    assertThat(scalar2[0]).isEqualTo("scalar");
    assertThat(simd2).containsExactly(simd1);
    assertThat(scalar2).containsExactly(scalar1);
  }
}
