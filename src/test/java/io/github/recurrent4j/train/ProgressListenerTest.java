package io.github.recurrent4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressListenerTest {
  static String run(boolean terminal) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressListener p = new ProgressListener(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal, 10, 2, 5);
    for (int step = 1; step <= 10; step++) {
      p.onStep(0, step, 1.0);
    }
    p.onEpoch(1, 1.0, 0.5);
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void plainLinesWhenNotATerminal() {
    String out = run(false);
    assertThat(out.lines()).hasSize(3);
    assertThat(out).doesNotContain("\r");
    assertThat(out.lines().findFirst().orElseThrow()).startsWith("epoch 1/2  step 5/10  ").contains("loss 1.0000");
    assertThat(out).contains("epoch 1/2 done: train loss 1.0000, validation 0.5000");
  }

  @Test
  void aBarRedrawnInPlaceOnATerminal() {
    String out = run(true);
    assertThat(out).contains("\r[==========          ] epoch 1/2  step 5/10").contains("\r[====================] epoch 1/2  step 10/10")
        .contains("ETA ");
  }
}
