package io.github.recurrent4j.examples;

import io.github.recurrent4j.io.AttentionHeatmap;
import io.github.recurrent4j.nn.Attention;
import io.github.recurrent4j.nn.Seq2Seq;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.optim.Clipping;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Date normalisation: a character-level encoder–decoder with Bahdanau attention learns to turn
 * free-form dates into ISO dates, is scored by exact match on dates it never saw, and writes the
 * attention of a few examples as PNG heatmaps (to {@code target/demo-dates}, or the directory in
 * the system property {@code recurrent4j.demo.dir}).
 */
final class DateDemo implements Demo {
  static final int BOS = DateData.TARGET_ALPHABET.length();
  static final int EOS = BOS + 1;
  static final String[] SHOWN = {"May 1st, 2019", "1/5/19", "2019年5月1日", "Wednesday, December 24, 1975"};

  @Override
  public String name() {
    return "dates";
  }

  @Override
  public String description() {
    return "seq2seq with attention turns free-form dates into ISO dates; writes attention heatmaps";
  }

  @Override
  public void run(boolean quick, PrintStream out) {
    Rng rng = new Rng(2019);
    Set<LocalDate> used = DateData.noDates();
    for (String s : new String[] {"2019-05-01", "1975-12-24"}) {
      used.add(LocalDate.parse(s)); // the shown examples stay unseen
    }
    List<DateData.Example> test = DateData.generate(quick ? 200 : 1000, used, rng);
    List<DateData.Example> train = DateData.generate(quick ? 6000 : 20000, used, rng);
    int steps = quick ? 600 : 2500;
    int batch = 32;
    out.printf("%d training and %d test dates (test dates never seen in training), %d spellings%n", train.size(),
        test.size(), DateData.FORMATS);
    Seq2Seq model = new Seq2Seq(DateData.SOURCE_ALPHABET.length(), EOS + 1, 32, 96, Seq2Seq.CellType.GRU,
        Seq2Seq.Style.BAHDANAU, Attention.Score.ADDITIVE, BOS, EOS, new Rng(7));
    out.printf("model: %s, %d parameters%n", model, model.parameterCount());
    Adam adam = new Adam(model.parameters(), 0.005);
    long start = System.nanoTime();
    double running = Double.NaN;
    for (int step = 1; step <= steps; step++) {
      int[][] src = new int[batch][];
      int[][] tgt = new int[batch][];
      for (int i = 0; i < batch; i++) {
        DateData.Example e = train.get(rng.nextInt(train.size()));
        src[i] = DateData.sourceIds(e.source());
        tgt[i] = DateData.targetIds(e.target());
      }
      adam.zeroGrad();
      double loss = model.trainingLoss(src, tgt);
      Clipping.clipGradNorm(model.parameters(), 5.0);
      adam.step();
      running = Double.isNaN(running) ? loss : 0.95 * running + 0.05 * loss;
      if (step % (steps / 10) == 0) {
        out.printf("step %5d  loss %.4f  %.1f s%n", step, running, (System.nanoTime() - start) / 1e9);
      }
    }
    int correct = 0;
    List<String> misses = new ArrayList<>();
    for (DateData.Example e : test) {
      String got = DateData.targetText(model.greedy(new int[][] {DateData.sourceIds(e.source())}, 12)[0]);
      if (got.equals(e.target())) {
        correct++;
      } else if (misses.size() < 3) {
        misses.add(e.source() + " -> " + got + " (expected " + e.target() + ")");
      }
    }
    out.printf("exact match on unseen dates: %d / %d = %.1f%%%n", correct, test.size(), 100.0 * correct / test.size());
    for (String m : misses) {
      out.println("  miss: " + m);
    }
    Path dir = Path.of(System.getProperty("recurrent4j.demo.dir", "target/demo-dates"));
    try {
      Files.createDirectories(dir);
      for (int i = 0; i < SHOWN.length; i++) {
        int[] source = DateData.sourceIds(SHOWN[i]);
        int[] best = model.beamSearch(source, 3, 12);
        model.forward(new int[][] {source}, new int[][] {best});
        List<String> sourceLabels = new ArrayList<>();
        for (char c : SHOWN[i].toCharArray()) {
          sourceLabels.add(c == ' ' ? "␣" : String.valueOf(c));
        }
        List<String> outputLabels = new ArrayList<>();
        for (char c : DateData.targetText(best).toCharArray()) {
          outputLabels.add(String.valueOf(c));
        }
        outputLabels.add("</s>");
        Tensor weights = model.attentionWeights().reshape(best.length + 1, source.length);
        Path png = dir.resolve("date-attention-" + (i + 1) + ".png");
        AttentionHeatmap.write(png, weights, sourceLabels, outputLabels);
        out.printf("%-30s -> %s   (attention: %s)%n", SHOWN[i], DateData.targetText(best), png);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
