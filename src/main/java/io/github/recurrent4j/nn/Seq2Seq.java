package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Gemm;
import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.loss.CrossEntropy;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * An encoder–decoder with Luong attention (Luong, Pham and Manning 2015, "global attention"):
 * <pre>
 *   encoder:   e_1..e_S = RNN(embed_src(x_1..x_S))                   final state → decoder's initial state
 *   decoder:   s_t = RNN(embed_tgt(y_{t-1}), s_{t-1})                y_0 = bos
 *   attention: c_t = Σ_j α_tj e_j,  α_t = softmax(score(s_t, e_j))  over the source's real steps
 *   output:    h̃_t = tanh(W_c [c_t; s_t] + b_c),  logits_t = W_o h̃_t + b_o
 * </pre>
 * Training is teacher-forced: {@link #forward} reads the target (without bos or eos) and returns
 * the logits of {@code y_1 .. y_n, eos}; {@link #backward} takes their gradient through the
 * attention into the encoder's outputs and through the decoder's initial state into the encoder's
 * final state. Inference is {@link #greedy} or {@link #beamSearch}, which keep nothing and change
 * nothing on the model.
 *
 * <p>Token ids: the source vocabulary is {@code [0, sourceVocab)}; the target vocabulary
 * {@code [0, targetVocab)} includes {@code bos} and {@code eos}. Sources must be non-empty.
 * Logits at padded target steps are zero (they are not predictions).
 */
public final class Seq2Seq implements Module {
  /** The recurrent layer of the encoder and of the decoder. */
  public enum CellType { GRU, LSTM }

  private final int targetVocab;
  private final int hidden;
  private final int bos;
  private final int eos;
  private final Embedding sourceEmbedding;
  private final Embedding targetEmbedding;
  private final RecurrentLayer encoder;
  private final RecurrentLayer decoder;
  private final Attention attention;
  private final Linear combine; // [c; s] (2H) -> H
  private final Linear output; // H -> V
  private final Activation tanh = new Activation(Activation.Kind.TANH);
  private final List<Parameter> parameters = new ArrayList<>();

  // the last forward
  private int[] targetLengths; // n + 1 per row
  private int[] targetIds; // (B, T): y_1 .. y_n, eos, then padding 0
  private Attention.Attended attended;
  private int batch;
  private int steps;
  private boolean backwardDone;

  /**
   * @param score how the decoder state is compared with the encoder outputs; the parameter-free
   *     scores need no extra size, {@link Attention.Score#ADDITIVE} gets {@code hidden} units
   */
  public Seq2Seq(int sourceVocab, int targetVocab, int embedDim, int hidden, CellType cell, Attention.Score score,
      int bos, int eos, Rng rng) {
    if (sourceVocab <= 0 || targetVocab <= 0 || embedDim <= 0 || hidden <= 0) {
      throw new IllegalArgumentException("Seq2Seq: vocabulary sizes, embedDim and hidden must be positive, got "
          + sourceVocab + ", " + targetVocab + ", " + embedDim + ", " + hidden);
    }
    if (bos < 0 || bos >= targetVocab || eos < 0 || eos >= targetVocab || bos == eos) {
      throw new IllegalArgumentException("Seq2Seq: bos and eos must be two different ids in [0, " + targetVocab
          + "), got bos=" + bos + ", eos=" + eos);
    }
    if (cell == null || score == null) {
      throw new IllegalArgumentException("Seq2Seq: cell and score must not be null");
    }
    this.targetVocab = targetVocab;
    this.hidden = hidden;
    this.bos = bos;
    this.eos = eos;
    sourceEmbedding = new Embedding(sourceVocab, embedDim, rng);
    targetEmbedding = new Embedding(targetVocab, embedDim, rng);
    encoder = cell == CellType.GRU ? new Gru(embedDim, hidden, rng) : new Lstm(embedDim, hidden, rng);
    decoder = cell == CellType.GRU ? new Gru(embedDim, hidden, rng) : new Lstm(embedDim, hidden, rng);
    attention = new Attention(score, hidden, hidden, score == Attention.Score.ADDITIVE ? hidden : 0, rng);
    combine = new Linear(2 * hidden, hidden, true, rng);
    output = new Linear(hidden, targetVocab, true, rng);
    add("source_embedding.", sourceEmbedding);
    add("target_embedding.", targetEmbedding);
    add("encoder.", encoder);
    add("decoder.", decoder);
    add("attention.", attention);
    add("combine.", combine);
    add("output.", output);
  }

  private void add(String prefix, Module m) {
    for (Parameter p : m.parameters()) {
      parameters.add(p.prefixed(prefix));
    }
  }

  /** Teacher-forced logits {@code (B, T, targetVocab)}, T = the longest target + 1 (for eos). */
  public Tensor forward(int[][] source, int[][] target) {
    if (source == null || target == null || source.length != target.length || source.length == 0) {
      throw new IllegalArgumentException(this + ": expected as many targets as sources (at least one), got "
          + (source == null ? "null" : source.length) + " and " + (target == null ? "null" : target.length));
    }
    int b = source.length;
    Padded src = pad(source, "source", 0);
    int[][] decoderInput = new int[b][];
    int[][] expected = new int[b][];
    for (int i = 0; i < b; i++) {
      if (target[i] == null) {
        throw new IllegalArgumentException(this + ": target " + i + " is null");
      }
      decoderInput[i] = new int[target[i].length + 1];
      decoderInput[i][0] = bos;
      System.arraycopy(target[i], 0, decoderInput[i], 1, target[i].length);
      expected[i] = Arrays.copyOf(target[i], target[i].length + 1);
      expected[i][target[i].length] = eos;
    }
    Padded in = pad(decoderInput, "target", 0);
    Tensor encoded = encoder.forward(sourceEmbedding.forward(src.ids, b, src.steps), src.lengths, null);
    Tensor states = decoder.forward(targetEmbedding.forward(in.ids, b, in.steps), in.lengths, encoder.finalState());
    attended = attention.attend(states, encoded, encoded, src.lengths);
    Tensor logits = output.forward(tanh.forward(combine.forward(concat(attended.context(), states))));
    zeroPadded(logits, in.lengths);
    this.targetLengths = in.lengths;
    this.targetIds = pad(expected, "target", 0).ids;
    this.batch = b;
    this.steps = in.steps;
    this.backwardDone = false;
    return logits;
  }

  /** The ids the logits of the last forward should predict, (B·T): y_1 .. y_n, eos, then zeros. */
  public int[] targetIds() {
    requireForward();
    return targetIds.clone();
  }

  /** The number of predicted steps per row in the last forward: target length + 1. */
  public int[] targetLengths() {
    requireForward();
    return targetLengths.clone();
  }

  /** The attention weights of the last forward, (B, T, S). */
  public Tensor attentionWeights() {
    requireForward();
    return attended.weights();
  }

  /** From d(loss)/d(logits) of the last forward: adds into every parameter's gradient. */
  public void backward(Tensor gradLogits) {
    requireForward();
    if (gradLogits == null || !gradLogits.hasShape(batch, steps, targetVocab)) {
      throw new IllegalArgumentException(this + ": expected gradLogits of shape [" + batch + ", " + steps + ", "
          + targetVocab + "], got " + (gradLogits == null ? "null" : gradLogits.shapeString()));
    }
    if (backwardDone) {
      throw new IllegalStateException(this + ": backward called twice for one forward");
    }
    backwardDone = true;
    Tensor g = gradLogits.copy();
    zeroPadded(g, targetLengths); // padded logits are constants
    Tensor dCat = combine.backward(tanh.backward(output.backward(g)));
    int h = hidden;
    Tensor dContext = Tensor.zeros(batch, steps, h);
    Tensor dStates = Tensor.zeros(batch, steps, h);
    for (int r = 0; r < batch * steps; r++) {
      System.arraycopy(dCat.data(), r * 2 * h, dContext.data(), r * h, h);
      System.arraycopy(dCat.data(), r * 2 * h + h, dStates.data(), r * h, h);
    }
    Attention.Grads a = attended.backward(dContext);
    addInto(dStates, a.query());
    targetEmbedding.backward(decoder.backward(dStates, null));
    Tensor dEncoded = a.keys();
    addInto(dEncoded, a.values());
    sourceEmbedding.backward(encoder.backward(dEncoded, decoder.initialStateGrad()));
  }

  /**
   * One teacher-forced training pass: forward, the mean cross-entropy over every predicted token,
   * and backward. Returns the loss; the gradients are in the parameters.
   */
  public double trainingLoss(int[][] source, int[][] target) {
    Tensor logits = forward(source, target);
    CrossEntropy loss = new CrossEntropy();
    double value = loss.forward(logits, targetIds, targetLengths);
    backward(loss.backward());
    return value;
  }

  /** The greedy decode of each source: {@link #beamSearch} with one beam. */
  public int[][] greedy(int[][] sources, int maxLength) {
    if (sources == null) {
      throw new IllegalArgumentException(this + ": sources must not be null");
    }
    int[][] out = new int[sources.length][];
    for (int i = 0; i < sources.length; i++) {
      out[i] = beamSearch(sources[i], 1, maxLength);
    }
    return out;
  }

  /**
   * Beam search: keeps the {@code beamWidth} best partial outputs by total log-probability; a
   * hypothesis ends at eos (not included in the result) or after {@code maxLength} tokens. Returns
   * the finished hypothesis with the best log-probability per token (eos counted as a token).
   */
  public int[] beamSearch(int[] source, int beamWidth, int maxLength) {
    if (beamWidth <= 0 || maxLength < 0) {
      throw new IllegalArgumentException(this + ": beamWidth must be positive and maxLength non-negative, got "
          + beamWidth + " and " + maxLength);
    }
    Padded src = pad(new int[][] {source}, "source", 0);
    int s = src.steps;
    int h = hidden;
    RecurrentLayer.Result enc = encoder.infer(lookup(sourceEmbedding, src.ids), null, null);
    List<Hypothesis> live = List.of(new Hypothesis(new int[0], 0, enc.finalState(), 0));
    List<Hypothesis> finished = new ArrayList<>();
    Kernels kernels = Kernels.active();
    for (int step = 0; step <= maxLength && !live.isEmpty() && finished.size() < beamWidth; step++) {
      int n = live.size();
      int[] last = new int[n];
      Tensor stateH = Tensor.zeros(1, n, h);
      Tensor stateC = live.get(0).state.c() == null ? null : Tensor.zeros(1, n, h);
      Tensor encoded = Tensor.zeros(n, s, h);
      for (int i = 0; i < n; i++) {
        Hypothesis hyp = live.get(i);
        last[i] = hyp.tokens.length == 0 ? bos : hyp.tokens[hyp.tokens.length - 1];
        System.arraycopy(hyp.state.h().data(), hyp.row * h, stateH.data(), i * h, h);
        if (stateC != null) {
          System.arraycopy(hyp.state.c().data(), hyp.row * h, stateC.data(), i * h, h);
        }
        System.arraycopy(enc.output().data(), 0, encoded.data(), i * s * h, s * h);
      }
      RecurrentLayer.Result dec = decoder.infer(lookup(targetEmbedding, last).reshape(n, 1, -1), null,
          new RnnState(stateH, stateC));
      Tensor query = dec.output().reshape(n, h);
      Tensor context = attention.attend(query, encoded, encoded, null).context();
      Tensor combined = affine(combine, concat(context.reshape(n, 1, h), query.reshape(n, 1, h)).reshape(n, 2 * h));
      kernels.tanh(combined.data(), 0, combined.data(), 0, combined.size());
      Tensor logits = affine(output, combined);
      float[] logProbs = new float[n * targetVocab];
      for (int i = 0; i < n; i++) {
        kernels.logSoftmax(logits.data(), i * targetVocab, logProbs, i * targetVocab, targetVocab);
      }
      List<Hypothesis> candidates = new ArrayList<>();
      boolean lastStep = step == maxLength;
      for (int i = 0; i < n; i++) {
        Hypothesis hyp = live.get(i);
        for (int v = 0; v < targetVocab; v++) {
          if (lastStep && v != eos) {
            continue; // the length limit: every hypothesis ends here
          }
          int[] tokens = Arrays.copyOf(hyp.tokens, hyp.tokens.length + 1);
          tokens[hyp.tokens.length] = v;
          candidates.add(new Hypothesis(tokens, hyp.logProb + logProbs[i * targetVocab + v], dec.finalState(), i));
        }
      }
      candidates.sort(Comparator.comparingDouble((Hypothesis c) -> -c.logProb));
      List<Hypothesis> next = new ArrayList<>();
      for (Hypothesis c : candidates.subList(0, Math.min(beamWidth, candidates.size()))) {
        if (c.tokens[c.tokens.length - 1] == eos || lastStep) {
          finished.add(c);
        } else {
          next.add(c);
        }
      }
      live = next;
    }
    Hypothesis best = finished.stream()
        .max(Comparator.comparingDouble((Hypothesis c) -> c.logProb / c.tokens.length)).orElseThrow();
    return Arrays.copyOf(best.tokens, best.tokens.length - 1);
  }

  /** A partial output: its tokens, their total log-probability, and its decoder state (row {@code row} of state). */
  private record Hypothesis(int[] tokens, double logProb, RnnState state, int row) {}

  /** x Wᵀ + b without touching the layer's training cache. */
  private static Tensor affine(Linear layer, Tensor x) {
    int rows = x.dim(0);
    int in = layer.inFeatures();
    int out = layer.outFeatures();
    Tensor y = Tensor.zeros(rows, out);
    for (int r = 0; r < rows; r++) {
      System.arraycopy(layer.bias().value().data(), 0, y.data(), r * out, out);
    }
    Gemm.gemm(false, true, rows, out, in, 1f, x.data(), 0, in, layer.weight().value().data(), 0, in, 1f, y.data(), 0,
        out);
    return y;
  }

  /** An embedding lookup of (1, n) ids that keeps nothing for backward. */
  private static Tensor lookup(Embedding embedding, int[] ids) {
    int d = embedding.dim();
    Tensor y = Tensor.zeros(1, ids.length, d);
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= embedding.count()) {
        throw new IllegalArgumentException(embedding + ": token id " + ids[i] + " at position " + i
            + " is out of range [0, " + embedding.count() + ")");
      }
      System.arraycopy(embedding.weight().value().data(), ids[i] * d, y.data(), i * d, d);
    }
    return y;
  }

  private record Padded(int[] ids, int[] lengths, int steps) {}

  /** Right-pads ragged rows with {@code fill}; every row must be non-empty. */
  private Padded pad(int[][] rows, String what, int fill) {
    int steps = 0;
    int[] lengths = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      if (rows[i] == null || rows[i].length == 0) {
        throw new IllegalArgumentException(this + ": " + what + " " + i + " is " + (rows[i] == null ? "null" : "empty"));
      }
      lengths[i] = rows[i].length;
      steps = Math.max(steps, lengths[i]);
    }
    int[] ids = new int[rows.length * steps];
    Arrays.fill(ids, fill);
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, ids, i * steps, rows[i].length);
    }
    return new Padded(ids, lengths, steps);
  }

  /** [a; b] along the last axis of two (B, T, H) tensors. */
  private static Tensor concat(Tensor a, Tensor b) {
    int rows = a.dim(0) * a.dim(1);
    int h = a.dim(2);
    Tensor out = Tensor.zeros(a.dim(0), a.dim(1), 2 * h);
    for (int r = 0; r < rows; r++) {
      System.arraycopy(a.data(), r * h, out.data(), r * 2 * h, h);
      System.arraycopy(b.data(), r * h, out.data(), r * 2 * h + h, h);
    }
    return out;
  }

  private static void zeroPadded(Tensor x, int[] lengths) {
    int t = x.dim(1);
    int f = x.dim(2);
    for (int b = 0; b < lengths.length; b++) {
      Arrays.fill(x.data(), (b * t + lengths[b]) * f, (b + 1) * t * f, 0f);
    }
  }

  private static void addInto(Tensor into, Tensor x) {
    for (int i = 0; i < into.size(); i++) {
      into.data()[i] += x.data()[i];
    }
  }

  private void requireForward() {
    if (attended == null) {
      throw new IllegalStateException(this + ": called before forward");
    }
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  @Override
  public String toString() {
    return "Seq2Seq(" + encoder.getClass().getSimpleName() + ", hidden=" + hidden + ", " + attention.score() + ")";
  }
}
