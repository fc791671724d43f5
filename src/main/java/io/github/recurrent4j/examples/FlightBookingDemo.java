package io.github.recurrent4j.examples;

import io.github.recurrent4j.loss.CrossEntropy;
import io.github.recurrent4j.nn.Activation;
import io.github.recurrent4j.nn.Bidirectional;
import io.github.recurrent4j.nn.Embedding;
import io.github.recurrent4j.nn.Gru;
import io.github.recurrent4j.nn.JordanRnn;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.Module;
import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.nn.SequenceLayer;
import io.github.recurrent4j.nn.Sequential;
import io.github.recurrent4j.nn.SimpleRnn;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.train.Batching;
import io.github.recurrent4j.train.Metrics;
import io.github.recurrent4j.train.ProgressListener;
import io.github.recurrent4j.train.SpanF1;
import io.github.recurrent4j.train.Trainer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The article's flight-booking assistant: tag origin, destination, date, time, airline and class in
 * booking requests. A per-token feed-forward tagger sees only the word, so it cannot tell whether
 * "taipei" is where the traveller leaves or arrives; the recurrent taggers carry the context. Every
 * model is trained the same way and scored on test sentences with unseen city pairs and templates.
 */
final class FlightBookingDemo implements Demo {
  private static final int EMBEDDING = 32;
  private static final int HIDDEN = 48;

  @Override
  public String name() {
    return "flights";
  }

  @Override
  public String description() {
    return "slot filling for flight bookings: a feed-forward tagger against Elman, Jordan, LSTM, GRU, BiLSTM"
        + " and BiGRU + attention";
  }

  /** A padded batch of word ids with its tags. */
  record Batch(Batching.IdBatch words, int[] tags) {}

  /** A model: a word embedding and a sequence layer producing tag logits. */
  record Tagger(String name, Embedding embedding, SequenceLayer layer) {
    List<Parameter> parameters() {
      List<Parameter> all = new ArrayList<>(embedding.parameters());
      all.addAll(layer.parameters());
      return all;
    }

    Tensor logits(Batching.IdBatch b) {
      return layer.forward(embedding.forward(b.ids(), b.batch(), b.steps()), b.lengths());
    }
  }

  @Override
  public void run(boolean quick, PrintStream out) {
    Rng rng = new Rng(2026);
    List<FlightData.Sentence> train = FlightData.generate(quick ? 1500 : 3000, false, rng);
    List<FlightData.Sentence> test = FlightData.generate(quick ? 300 : 1000, true, rng);
    Map<String, Integer> vocab = new LinkedHashMap<>();
    vocab.put("<pad>", 0);
    vocab.put("<unk>", 1);
    for (FlightData.Sentence s : train) {
      s.words().forEach(w -> vocab.putIfAbsent(w, vocab.size()));
    }
    List<String> tagNames = new ArrayList<>(List.of("O"));
    for (String slot : new String[] {"FROM", "TO", "DATE", "TIME", "AIRLINE", "CLASS"}) {
      tagNames.add("B-" + slot);
      tagNames.add("I-" + slot);
    }
    int tags = tagNames.size();
    List<Batch> trainBatches = batches(train, vocab, tagNames, rng);
    List<Batch> testBatches = batches(test, vocab, tagNames, null);
    int epochs = quick ? 4 : 8;
    out.printf("%d training and %d test sentences (test city pairs and three templates unseen), %d words, %d tags%n",
        train.size(), test.size(), vocab.size(), tags);

    List<Function<Rng, SequenceLayer>> makers = List.of(
        r -> new Sequential(new Linear(EMBEDDING, HIDDEN, true, r), new Activation(Activation.Kind.TANH),
            new Linear(HIDDEN, tags, true, r)),
        r -> new Sequential(new SimpleRnn(EMBEDDING, HIDDEN, SimpleRnn.Nonlinearity.TANH, r),
            new Linear(HIDDEN, tags, true, r)),
        r -> new JordanRnn(EMBEDDING, HIDDEN, tags, JordanRnn.OutputActivation.IDENTITY, r),
        r -> new Sequential(new Lstm(EMBEDDING, HIDDEN, r), new Linear(HIDDEN, tags, true, r)),
        r -> new Sequential(new Gru(EMBEDDING, HIDDEN, r), new Linear(HIDDEN, tags, true, r)),
        r -> new Sequential(new Bidirectional(new Lstm(EMBEDDING, HIDDEN, r), Bidirectional.Merge.CONCAT, r),
            new Linear(2 * HIDDEN, tags, true, r)),
        r -> new AttentiveTagger(EMBEDDING, HIDDEN, 4, tags, r));
    String[] names = {"feed-forward (no context)", "Elman (SimpleRnn)", "Jordan (JordanRnn)", "LSTM", "GRU",
        "bidirectional LSTM", "BiGRU + self-attention"};

    // Untimed first: a few steps of every model, so that the table's times are the models' own and
    // not the JIT compiling the SIMD kernels in a fresh JVM (the first model's time was 4-5x its
    // own). Their own seeds: the timed models below are unchanged.
    long warmUpStart = System.nanoTime();
    List<Batch> fewBatches = trainBatches.subList(0, Math.min(4, trainBatches.size()));
    for (int m = 0; m < makers.size(); m++) {
      Rng throwaway = new Rng(900 + m);
      train(new Tagger(names[m], new Embedding(vocab.size(), EMBEDDING, throwaway), makers.get(m).apply(throwaway)),
          fewBatches, 1, new Rng(950 + m), false);
    }
    out.printf("(untimed warm-up of every model while the JIT compiles: %.1f s)%n",
        (System.nanoTime() - warmUpStart) / 1e9);

    List<Tagger> taggers = new ArrayList<>();
    List<Double> spanF1 = new ArrayList<>();
    out.printf("%n%-27s %10s %9s %10s %8s%n", "model", "parameters", "train s", "token acc", "span F1");
    for (int m = 0; m < makers.size(); m++) {
      Rng modelRng = new Rng(100 + m);
      Tagger tagger = new Tagger(names[m], new Embedding(vocab.size(), EMBEDDING, modelRng), makers.get(m).apply(modelRng));
      long started = System.nanoTime();
      train(tagger, trainBatches, epochs, new Rng(200 + m), true);
      double seconds = (System.nanoTime() - started) / 1e9;
      double[] scores = evaluate(tagger, testBatches, tagNames);
      long params = tagger.parameters().stream().mapToLong(Parameter::size).sum();
      out.printf("%-27s %10d %9.1f %9.1f%% %7.1f%%%n", names[m], params, seconds, 100 * scores[0], 100 * scores[1]);
      taggers.add(tagger);
      spanF1.add(scores[1]);
    }

    Tagger baseline = taggers.get(0);
    int bestIndex = 1; // the best recurrent model, by the span F1 already measured
    for (int m = 2; m < taggers.size(); m++) {
      if (spanF1.get(m) > spanF1.get(bestIndex)) {
        bestIndex = m;
      }
    }
    Tagger best = taggers.get(bestIndex);
    out.printf("%nThe article's sentences, tagged by the feed-forward tagger and by the %s:%n", best.name());
    for (String sentence : new String[] {"i want to arrive in taipei on may 1", "i want to leave taipei on may 1"}) {
      out.println("  " + tag(baseline, sentence, vocab, tagNames));
      out.println("  " + tag(best, sentence, vocab, tagNames));
    }
    out.println("The feed-forward tagger gives taipei one tag in both; only a model with memory can tell"
        + " leaving from arriving.");
  }

  private static List<Batch> batches(List<FlightData.Sentence> sentences, Map<String, Integer> vocab,
      List<String> tagNames, Rng rng) {
    List<int[]> ids = new ArrayList<>();
    List<int[]> tagIds = new ArrayList<>();
    int[] lengths = new int[sentences.size()];
    for (int i = 0; i < sentences.size(); i++) {
      FlightData.Sentence s = sentences.get(i);
      ids.add(s.words().stream().mapToInt(w -> vocab.getOrDefault(w, 1)).toArray());
      tagIds.add(s.tags().stream().mapToInt(tagNames::indexOf).toArray());
      lengths[i] = s.words().size();
    }
    List<Batch> out = new ArrayList<>();
    for (int[] group : Batching.order(lengths, 32, true, rng)) {
      Batching.IdBatch words = Batching.padIds(ids, group, 0);
      Batching.IdBatch tags = Batching.padIds(tagIds, group, 0);
      out.add(new Batch(words, tags.ids()));
    }
    return out;
  }

  private static void train(Tagger tagger, List<Batch> batches, int epochs, Rng rng, boolean progress) {
    CrossEntropy ce = new CrossEntropy();
    Module model = tagger::parameters;
    Adam adam = new Adam(tagger.parameters(), 0.01);
    Trainer<Batch> trainer = new Trainer<Batch>(model, adam, new Trainer.Options(epochs, 5.0, false, 0, false), rng);
    if (progress) {
      trainer.addListener(new ProgressListener(batches.size(), epochs));
    }
    trainer.fit(batches, null, b -> {
      double loss = ce.forward(tagger.logits(b.words()), b.tags(), b.words().lengths());
      Tensor dx = tagger.layer().backward(ce.backward());
      tagger.embedding().backward(dx);
      return loss;
    }, null);
  }

  /** Token accuracy and span F1 over the batches. */
  private static double[] evaluate(Tagger tagger, List<Batch> batches, List<String> tagNames) {
    SpanF1 f1 = new SpanF1();
    long right = 0;
    long total = 0;
    for (Batch b : batches) {
      Tensor logits = tagger.logits(b.words());
      int steps = b.words().steps();
      for (int row = 0; row < b.words().batch(); row++) {
        List<String> gold = new ArrayList<>();
        List<String> predicted = new ArrayList<>();
        for (int t = 0; t < b.words().lengths()[row]; t++) {
          int p = Metrics.argmax(logits, row * steps + t);
          int g = b.tags()[row * steps + t];
          right += p == g ? 1 : 0;
          total++;
          gold.add(tagNames.get(g));
          predicted.add(tagNames.get(p));
        }
        f1.add(gold, predicted);
      }
    }
    return new double[] {(double) right / Math.max(1, total), f1.f1()};
  }

  private static String tag(Tagger tagger, String sentence, Map<String, Integer> vocab, List<String> tagNames) {
    List<String> words = FlightData.words(sentence);
    int[] ids = words.stream().mapToInt(w -> vocab.getOrDefault(w, 1)).toArray();
    Tensor logits = tagger.layer().forward(tagger.embedding().forward(ids, 1, ids.length), null);
    StringBuilder sb = new StringBuilder(String.format("%-21s", tagger.name().split(" \\(")[0] + ":"));
    for (int t = 0; t < words.size(); t++) {
      String tag = tagNames.get(Metrics.argmax(logits, t));
      sb.append(words.get(t)).append(tag.equals("O") ? "" : "/" + tag).append(' ');
    }
    return sb.toString().trim();
  }
}
