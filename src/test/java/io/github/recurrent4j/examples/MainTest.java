package io.github.recurrent4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MainTest {
  record Run(int status, String out, String err) {}

  static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void theDefaultDemoComparesTheTaggersOnTheArticlesSentences() {
    Run r = run("--quick");
    assertThat(r.status()).isZero();
    assertThat(r.out()).contains("recurrent4j demo flights").contains("model").contains("span F1")
        .contains("feed-forward (no context)").contains("Elman (SimpleRnn)").contains("Jordan (JordanRnn)")
        .contains("bidirectional LSTM").contains("BiGRU + self-attention");
    // Every recurrent model beats the baseline on span F1, and the best reaches 95% even in quick mode.
    Matcher row = Pattern.compile("(?m)^(.+?)\\s+\\d+\\s+\\d+\\.\\d\\s+\\d+\\.\\d%\\s+(\\d+\\.\\d)%$").matcher(r.out());
    List<Double> recurrent = new ArrayList<>();
    double baseline = Double.NaN;
    while (row.find()) {
      double f1 = Double.parseDouble(row.group(2));
      if (row.group(1).startsWith("feed-forward")) {
        baseline = f1;
      } else {
        recurrent.add(f1);
      }
    }
    assertThat(recurrent).as(r.out()).hasSize(6).allSatisfy(f1 -> assertThat(f1).isGreaterThan(0));
    double base = baseline;
    assertThat(recurrent).as("recurrent span F1 against the baseline's %s", base).allMatch(f1 -> f1 > base);
    assertThat(recurrent.stream().mapToDouble(Double::doubleValue).max().orElseThrow()).isGreaterThanOrEqualTo(95.0);
    // The feed-forward tagger sees only the word, so it must tag taipei the same way in both sentences.
    List<String> lines = r.out().lines().filter(l -> l.trim().startsWith("feed-forward:")).toList();
    assertThat(lines).hasSize(2);
    Matcher first = Pattern.compile("taipei(/\\S+)?").matcher(lines.get(0));
    Matcher second = Pattern.compile("taipei(/\\S+)?").matcher(lines.get(1));
    assertThat(first.find() && second.find()).isTrue();
    assertThat(first.group()).isEqualTo(second.group());
  }

  /** Runs a demo with its files going to {@code dir}. */
  static Run runWritingTo(java.nio.file.Path dir, String... args) {
    System.setProperty("recurrent4j.demo.dir", dir.toString());
    try {
      return run(args);
    } finally {
      System.clearProperty("recurrent4j.demo.dir");
    }
  }

  @Test
  void theDatesDemoNormalisesUnseenDatesAndWritesHeatmaps(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    Run r = runWritingTo(dir, "dates --quick"); // as Maven's -Ddemo.args passes it: one argument
    assertThat(r.status()).isZero();
    Matcher m = Pattern.compile("exact match on unseen dates: (\\d+) / (\\d+)").matcher(r.out());
    assertThat(m.find()).as(r.out()).isTrue();
    assertThat(Double.parseDouble(m.group(1)) / Double.parseDouble(m.group(2))).as(r.out()).isGreaterThanOrEqualTo(0.95);
    for (int i = 1; i <= 4; i++) {
      java.nio.file.Path png = dir.resolve("date-attention-" + i + ".png");
      assertThat(javax.imageio.ImageIO.read(png.toFile())).as(png.toString()).isNotNull();
    }
    assertThat(r.out()).contains("-> 2019-05-01");
  }

  @Test
  void theCharDemoBeatsTheUnigramEntropySamplesAndReloadsItsModel(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    Run r = runWritingTo(dir, "chars", "--quick");
    assertThat(r.status()).isZero();
    Matcher m = Pattern.compile("held-out: (\\d+\\.\\d+) bits per character, against (\\d+\\.\\d+) for the unigram")
        .matcher(r.out());
    assertThat(m.find()).as(r.out()).isTrue();
    double bits = Double.parseDouble(m.group(1));
    // The unigram entropy printed is the text's own, computed here independently of the demo.
    String text = CharDemo.embeddedText();
    int[] counts = new int[65536];
    text.chars().forEach(c -> counts[c]++);
    double unigram = 0;
    for (int count : counts) {
      unigram -= count == 0 ? 0 : (double) count / text.length() * Math.log((double) count / text.length()) / Math.log(2);
    }
    assertThat(Double.parseDouble(m.group(2))).isCloseTo(unigram, org.assertj.core.data.Offset.offset(1e-3));
    assertThat(bits).as(r.out()).isLessThan(unigram);
    assertThat(r.out()).contains("sample at temperature 0.5:").contains("sample at temperature 1.0:")
        .contains("and reloaded it").contains(", identical");
    java.nio.file.Path saved = dir.resolve("char-lstm.safetensors");
    assertThat(CharModel.load(saved).bitsPerCharacter(CharModel.load(saved).encode(text.substring(0, 2000)))).isLessThan(unigram);
  }

  @Test
  void theAddingDemoShowsTheLstmSolvingWhatTheElmanNetworkCannot() {
    Run r = run("adding", "--quick");
    assertThat(r.status()).isZero();
    Matcher m = Pattern.compile("final held-out MSE: Lstm (\\d+\\.\\d+), SimpleRnn (\\d+\\.\\d+)").matcher(r.out());
    assertThat(m.find()).as(r.out()).isTrue();
    assertThat(Double.parseDouble(m.group(1))).isLessThan(0.01);
    assertThat(Double.parseDouble(m.group(2))).isGreaterThan(0.1);
    assertThat(r.out()).contains("The Lstm solved it");
  }

  @Test
  void theTinyDemoTrainsAndItsLossFalls() {
    Run r = run("tiny", "--quick");
    assertThat(r.status()).isZero();
    List<Double> losses = new ArrayList<>();
    Matcher m = Pattern.compile("loss (\\d+\\.\\d+)").matcher(r.out());
    while (m.find()) {
      losses.add(Double.parseDouble(m.group(1)));
    }
    assertThat(losses).hasSizeGreaterThan(3);
    assertThat(losses.get(losses.size() - 1)).isLessThan(losses.get(0) / 4);
    assertThat(r.out()).contains("taipei/CITY");
  }

  @Test
  void helpListsTheDemosAndBadArgumentsSayWhatIsWrong() {
    Run help = run("--help");
    assertThat(help.status()).isZero();
    assertThat(help.out()).contains("usage: Main [demo] [--quick]").contains("flights").contains("chars").contains("dates").contains("adding")
        .contains("tiny");
    Run unknown = run("nope");
    assertThat(unknown.status()).isEqualTo(2);
    assertThat(unknown.err()).contains("no demo named nope; demos: flights, chars, dates, adding, tiny");
    Run badOption = run("--fast");
    assertThat(badOption.status()).isEqualTo(2);
    assertThat(badOption.err()).contains("unknown option --fast; see --help");
  }
}
