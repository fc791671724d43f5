package io.github.recurrent4j.examples;

import io.github.recurrent4j.io.SafeTensors;
import io.github.recurrent4j.nn.RnnState;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.optim.Clipping;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A character-level language model. It trains a {@link CharModel} (embedding, LSTM, linear head)
 * on a text with truncated backpropagation through time, reports bits per character on the
 * held-out last tenth against the text's unigram entropy, samples with temperature through the
 * streaming step API, and saves, reloads and re-scores the model as safetensors.
 *
 * <p>The text is the Book of Genesis (King James Version, public domain), embedded in the jar, or
 * the UTF-8 file named by the system property {@code recurrent4j.demo.text}. Files go to
 * {@code target/demo-chars}, or the directory in {@code recurrent4j.demo.dir}.
 */
final class CharDemo implements Demo {
  static final String RESOURCE = "genesis-kjv.txt";

  @Override
  public String name() {
    return "chars";
  }

  @Override
  public String description() {
    return "char-level LSTM language model on Genesis (KJV): bits/char, temperature sampling, save/reload";
  }

  @Override
  public void run(boolean quick, PrintStream out) {
    String source = System.getProperty("recurrent4j.demo.text");
    String text = source == null ? embeddedText() : readText(Path.of(source));
    String alphabet = CharModel.alphabetOf(text);
    int split = (int) (text.length() * 0.9);
    int hidden = quick ? 128 : 256;
    int updates = quick ? 300 : 1500;
    int batch = 32;
    int window = 64;
    CharModel model = new CharModel(alphabet, 32, hidden, new Rng(11));
    int[] train = model.encode(text.substring(0, split));
    int[] heldOut = model.encode(text.substring(split));
    double unigram = unigramEntropy(text);
    out.printf("text: %s, %,d characters (%,d train, %,d held out), %d distinct%n",
        source == null ? "Genesis, King James Version (embedded)" : source, text.length(), train.length,
        heldOut.length, alphabet.length());
    out.printf("unigram entropy of the text: %.3f bits per character%n", unigram);
    out.printf("model: %s, %,d parameters; %d updates of %d x %d characters (Adam, clip 5)%n", model,
        model.parameterCount(), updates, batch, window);
    if (train.length < batch * (window + 1)) {
      throw new IllegalArgumentException("CharDemo: the text is too short to train on: it needs at least "
          + (batch * (window + 1) * 10 / 9 + 1) + " characters, got " + text.length());
    }

    // Each of the batch rows reads its own contiguous stretch of the text, carrying its state from
    // one window to the next (truncated BPTT); all rows start again at the end of their stretch.
    int stretch = train.length / batch;
    int[] inputs = new int[batch * window];
    int[] targets = new int[batch * window];
    Adam adam = new Adam(model.parameters(), 0.003);
    RnnState state = null;
    int position = 0;
    double running = Double.NaN;
    long start = System.nanoTime();
    for (int step = 1; step <= updates; step++) {
      if (position + window + 1 > stretch) {
        position = 0;
        state = null;
      }
      for (int row = 0; row < batch; row++) {
        System.arraycopy(train, row * stretch + position, inputs, row * window, window);
        System.arraycopy(train, row * stretch + position + 1, targets, row * window, window);
      }
      position += window;
      adam.zeroGrad();
      double loss = model.forwardBackward(inputs, targets, batch, window, state);
      state = model.finalState();
      Clipping.clipGradNorm(model.parameters(), 5.0);
      adam.step();
      running = Double.isNaN(running) ? loss : 0.95 * running + 0.05 * loss;
      if (step % (updates / 10) == 0) {
        out.printf("update %5d  train %.3f bits/char  %5.1f s%n", step, running / Math.log(2),
            (System.nanoTime() - start) / 1e9);
      }
    }
    double bits = model.bitsPerCharacter(heldOut);
    out.printf("%nheld-out: %.3f bits per character, against %.3f for the unigram entropy%n", bits, unigram);
    out.println(bits < unigram ? "The model predicts held-out text better than character frequencies alone."
        : "The model did not beat the unigram entropy within this budget.");

    Rng sampler = new Rng(1611);
    for (double temperature : new double[] {0.5, 1.0}) {
      String prompt = "And God said";
      out.printf("%nsample at temperature %.1f:%n%s%s%n", temperature, prompt,
          model.sample(prompt, quick ? 200 : 400, temperature, sampler));
    }

    Path dir = Path.of(System.getProperty("recurrent4j.demo.dir", "target/demo-chars"));
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve("char-lstm.safetensors");
      model.save(file);
      CharModel reloaded = CharModel.load(file);
      double again = reloaded.bitsPerCharacter(heldOut);
      out.printf("%nsaved %s (%,d bytes) and reloaded it: held-out %.6f bits per character, %s%n", file,
          Files.size(file), again, again == bits ? "identical" : "DIFFERENT from " + bits);
      // The first held-out characters and the model's logits on them, for tools/interop.py java-to-torch.
      int[] probe = Arrays.copyOf(heldOut, Math.min(200, heldOut.length));
      float[] ids = new float[probe.length];
      for (int i = 0; i < probe.length; i++) {
        ids[i] = probe[i];
      }
      SafeTensors.write(dir.resolve("char-lstm.probe.safetensors"),
          Map.of("ids", Tensor.of(ids, probe.length), "logits", reloaded.logits(probe)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Shannon entropy of the text's character frequencies, in bits. */
  static double unigramEntropy(String text) {
    Map<Integer, Long> counts = new HashMap<>();
    text.chars().forEach(c -> counts.merge(c, 1L, Long::sum));
    double entropy = 0;
    for (long count : counts.values()) {
      double p = (double) count / text.length();
      entropy -= p * Math.log(p) / Math.log(2);
    }
    return entropy;
  }

  static String embeddedText() {
    try (InputStream in = CharDemo.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("CharDemo: the embedded text " + RESOURCE + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String readText(Path path) {
    try {
      return Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("CharDemo: cannot read the text " + path, e);
    }
  }
}
