package io.github.recurrent4j.examples;

import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.nn.Embedding;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A per-token tagger with no context, the article's feed-forward baseline in miniature: an
 * {@link Embedding} and a {@link Linear} layer learn to tag words of a tiny vocabulary by their
 * part of speech, trained with softmax cross-entropy and plain SGD. It prints the loss falling.
 *
 * <p>Its point is the limit it hits: a word whose tag depends on the sentence (as "Taipei" is an
 * origin after "leave" and a destination after "arrive") gets one tag whatever its context. The
 * recurrent layers remove that limit.
 */
final class TinyTaggerDemo implements Demo {
  private static final String[] WORDS = {"i", "want", "to", "fly", "leave", "arrive", "in", "from", "on", "may",
      "june", "taipei", "boston", "paris", "tokyo", "first", "1", "2"};
  private static final String[] TAGS = {"O", "CITY", "MONTH", "DAY"};

  @Override
  public String name() {
    return "tiny";
  }

  @Override
  public String description() {
    return "a feed-forward word tagger (Embedding + Linear) trained with SGD; prints its loss falling";
  }

  private static int tagOf(String word) {
    return switch (word) {
      case "taipei", "boston", "paris", "tokyo" -> 1;
      case "may", "june" -> 2;
      case "first", "1", "2" -> 3;
      default -> 0;
    };
  }

  @Override
  public void run(boolean quick, PrintStream out) {
    Rng rng = new Rng(2026);
    int dim = 16;
    Embedding embedding = new Embedding(WORDS.length, dim, rng);
    Linear classifier = new Linear(dim, TAGS.length, true, rng);
    List<Parameter> parameters = new ArrayList<>(embedding.parameters());
    parameters.addAll(classifier.parameters());
    int batch = 32;
    int steps = quick ? 60 : 400;
    float learningRate = 0.5f;
    float[] logProbs = new float[TAGS.length];
    out.printf("training %d parameters for %d steps of %d words%n", parameters.stream().mapToInt(Parameter::size).sum(),
        steps, batch);
    for (int step = 1; step <= steps; step++) {
      int[] ids = new int[batch];
      int[] tags = new int[batch];
      for (int i = 0; i < batch; i++) {
        ids[i] = rng.nextInt(WORDS.length);
        tags[i] = tagOf(WORDS[ids[i]]);
      }
      for (Parameter p : parameters) {
        p.zeroGrad();
      }
      Tensor logits = classifier.forward(embedding.forward(ids, batch)); // (batch, tags)
      // Softmax cross-entropy, mean over the batch: dlogits = (softmax - onehot) / batch.
      Tensor dLogits = Tensor.zeros(batch, TAGS.length);
      double loss = 0;
      for (int i = 0; i < batch; i++) {
        Kernels.active().logSoftmax(logits.data(), i * TAGS.length, logProbs, 0, TAGS.length);
        loss -= logProbs[tags[i]];
        for (int c = 0; c < TAGS.length; c++) {
          float p = (float) Math.exp(logProbs[c]);
          dLogits.data()[i * TAGS.length + c] = (p - (c == tags[i] ? 1f : 0f)) / batch;
        }
      }
      loss /= batch;
      embedding.backward(classifier.backward(dLogits));
      for (Parameter p : parameters) {
        float[] w = p.value().data();
        float[] g = p.grad().data();
        for (int i = 0; i < w.length; i++) {
          w[i] -= learningRate * g[i];
        }
      }
      if (step == 1 || step % (steps / 10) == 0) {
        out.printf("step %4d  loss %.4f%n", step, loss);
      }
    }
    out.println("tags after training:");
    String sentence = "i want to leave taipei on may 1";
    String[] words = sentence.split(" ");
    int[] ids = new int[words.length];
    for (int i = 0; i < words.length; i++) {
      ids[i] = List.of(WORDS).indexOf(words[i]);
    }
    Tensor logits = classifier.forward(embedding.forward(ids, words.length));
    StringBuilder tagged = new StringBuilder();
    for (int i = 0; i < words.length; i++) {
      int best = 0;
      for (int c = 1; c < TAGS.length; c++) {
        if (logits.get(i, c) > logits.get(i, best)) {
          best = c;
        }
      }
      tagged.append(words[i]).append('/').append(TAGS[best]).append(' ');
    }
    out.println("  " + tagged.toString().trim());
    out.println("a context-free tagger can say CITY but never origin or destination: that takes recurrence.");
  }
}
