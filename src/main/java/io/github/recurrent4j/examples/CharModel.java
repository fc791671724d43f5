package io.github.recurrent4j.examples;

import io.github.recurrent4j.io.SafeTensors;
import io.github.recurrent4j.io.SafeTensorsFormatException;
import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.loss.CrossEntropy;
import io.github.recurrent4j.loss.Reduction;
import io.github.recurrent4j.nn.Embedding;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.Module;
import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.nn.RecurrentLayer;
import io.github.recurrent4j.nn.RecurrentStream;
import io.github.recurrent4j.nn.RnnState;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A character-level language model: embedding, one LSTM layer and a linear head that scores the
 * next character. Its state dict uses the names of the equivalent PyTorch module
 * ({@code embedding}, {@code lstm}, {@code head}: see {@code tools/interop.py}), and a saved file
 * carries the alphabet in its metadata, so a model trained on either side runs on the other.
 */
public final class CharModel implements Module {
  /** The metadata key of the alphabet: the model's characters in id order. */
  public static final String ALPHABET = "alphabet";

  private final String alphabet;
  private final Embedding embedding;
  private final Lstm lstm;
  private final Linear head;
  private final CrossEntropy loss = new CrossEntropy();

  /** A model over {@code alphabet} (distinct characters, id = index) with the given sizes. */
  public CharModel(String alphabet, int embeddingSize, int hiddenSize, Rng rng) {
    if (alphabet == null || alphabet.isEmpty() || alphabet.chars().distinct().count() != alphabet.length()) {
      throw new IllegalArgumentException("CharModel: the alphabet must be distinct characters, got "
          + (alphabet == null ? "null" : "\"" + alphabet + "\""));
    }
    this.alphabet = alphabet;
    embedding = new Embedding(alphabet.length(), embeddingSize, rng);
    lstm = new Lstm(embeddingSize, hiddenSize, rng);
    head = new Linear(hiddenSize, alphabet.length(), true, rng);
  }

  /** The alphabet of a text: its distinct characters, sorted. */
  public static String alphabetOf(String text) {
    StringBuilder sb = new StringBuilder();
    text.chars().distinct().sorted().forEach(sb::appendCodePoint);
    return sb.toString();
  }

  public String alphabet() {
    return alphabet;
  }

  public RecurrentLayer lstm() {
    return lstm;
  }

  /** The ids of a text; a character outside the alphabet is an error that names it. */
  public int[] encode(String text) {
    int[] ids = new int[text.length()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = alphabet.indexOf(text.charAt(i));
      if (ids[i] < 0) {
        throw new IllegalArgumentException("CharModel: character '" + text.charAt(i) + "' (U+"
            + String.format("%04X", (int) text.charAt(i)) + ") at " + i + " is not in the model's alphabet");
      }
    }
    return ids;
  }

  /**
   * One training pass over a batch of {@code batch} rows of {@code steps} characters each: forward
   * from {@code initial}, mean cross-entropy against {@code targets}, backward. Returns the loss in
   * nats per character; the gradients are added into the parameters.
   */
  public double forwardBackward(int[] inputs, int[] targets, int batch, int steps, RnnState initial) {
    Tensor logits = head.forward(lstm.forward(embedding.forward(inputs, batch, steps), null, initial));
    double value = loss.forward(logits, targets);
    embedding.backward(lstm.backward(head.backward(loss.backward()), null));
    return value;
  }

  /** The LSTM's final state after the last {@link #forwardBackward}, copied so that it carries no gradient link. */
  public RnnState finalState() {
    RnnState last = lstm.finalState();
    return new RnnState(last.h().copy(), last.c().copy());
  }

  /**
   * The next-character logits {@code [T, V]} at every position of {@code ids}, read as one sequence
   * from the zero state. Keeps nothing for backward.
   */
  public Tensor logits(int[] ids) {
    Tensor x = embedding.infer(ids, 1, ids.length);
    return head.infer(lstm.infer(x, null, null).output()).reshape(ids.length, alphabet.length());
  }

  /**
   * Bits per character of predicting {@code ids[t + 1]} from {@code ids[0..t]}, over the whole
   * array, read in windows of 1,000 characters that carry the state forward.
   */
  public double bitsPerCharacter(int[] ids) {
    CrossEntropy summed = new CrossEntropy(CrossEntropy.Options.defaults().withReduction(Reduction.SUM));
    double nats = 0;
    RnnState state = null;
    int window = 1000;
    for (int start = 0; start + 1 < ids.length; start += window) {
      int steps = Math.min(window, ids.length - 1 - start);
      RecurrentLayer.Result run = lstm.infer(embedding.infer(Arrays.copyOfRange(ids, start, start + steps), 1, steps),
          null, state);
      state = run.finalState();
      Tensor logits = head.infer(run.output()).reshape(steps, alphabet.length());
      nats += summed.forward(logits, Arrays.copyOfRange(ids, start + 1, start + 1 + steps));
    }
    return nats / (ids.length - 1) / Math.log(2);
  }

  /**
   * Generates {@code count} characters after {@code prompt}, one at a time through the streaming
   * step API, sampling each from softmax(logits / temperature).
   */
  public String sample(String prompt, int count, double temperature, Rng rng) {
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("CharModel: the temperature must be > 0, got " + temperature);
    }
    if (prompt.isEmpty()) {
      throw new IllegalArgumentException("CharModel: sampling needs a prompt of at least one character");
    }
    RecurrentStream stream = lstm.newStream();
    Kernels kernels = Kernels.active();
    float[] table = embedding.weight().value().data();
    float[] weight = head.weight().value().data();
    float[] bias = head.bias().value().data();
    float[] x = new float[embedding.dim()];
    float[] logits = new float[alphabet.length()];
    float[] h = null;
    StringBuilder out = new StringBuilder();
    int next = -1;
    for (int id : encode(prompt)) {
      System.arraycopy(table, id * x.length, x, 0, x.length);
      h = stream.step(x);
    }
    for (int i = 0; i < count; i++) {
      // softmax((head.weight · h + head.bias) / temperature)
      System.arraycopy(bias, 0, logits, 0, logits.length);
      kernels.rowDotRows(h.length, logits.length, 1f, h, 0, weight, 0, h.length, logits, 0);
      for (int v = 0; v < logits.length; v++) {
        logits[v] /= (float) temperature;
      }
      kernels.softmax(logits, 0, logits, 0, logits.length);
      next = draw(logits, rng);
      out.append(alphabet.charAt(next));
      System.arraycopy(table, next * x.length, x, 0, x.length);
      h = stream.step(x);
    }
    return out.toString();
  }

  /** An index drawn with the given probabilities. */
  private static int draw(float[] probabilities, Rng rng) {
    double u = rng.nextDouble();
    double cumulative = 0;
    for (int v = 0; v < probabilities.length; v++) {
      cumulative += probabilities[v];
      if (u < cumulative) {
        return v;
      }
    }
    return probabilities.length - 1; // rounding left the total a hair under 1
  }

  /** Writes the weights and the alphabet as one safetensors file, atomically. */
  public void save(Path path) throws IOException {
    SafeTensors.write(path, stateDict(), Map.of(ALPHABET, alphabet));
  }

  /**
   * Reads a model written by {@link #save} or by {@code tools/interop.py}; the sizes come from the
   * tensors' shapes, and the load is strict.
   */
  public static CharModel load(Path path) throws IOException {
    SafeTensors.Contents contents = SafeTensors.load(path);
    String alphabet = contents.metadata().get(ALPHABET);
    Tensor table = contents.tensors().get("embedding.weight");
    Tensor recurrent = contents.tensors().get("lstm.weight_hh_l0");
    if (alphabet == null || table == null || table.rank() != 2 || recurrent == null || recurrent.rank() != 2) {
      throw new SafeTensorsFormatException(path + ": not a CharModel file (it needs the metadata key '" + ALPHABET
          + "' and the tensors embedding.weight and lstm.weight_hh_l0)");
    }
    CharModel model = new CharModel(alphabet, table.dim(1), recurrent.dim(1), new Rng(0));
    model.loadStateDict(contents.tensors());
    return model;
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> all = new ArrayList<>();
    embedding.parameters().forEach(p -> all.add(p.prefixed("embedding.")));
    lstm.parameters().forEach(p -> all.add(p.prefixed("lstm.")));
    head.parameters().forEach(p -> all.add(p.prefixed("head.")));
    return all;
  }

  @Override
  public String toString() {
    return "CharModel(" + alphabet.length() + " characters, " + embedding.dim() + ", " + lstm.hiddenSize() + ")";
  }
}
