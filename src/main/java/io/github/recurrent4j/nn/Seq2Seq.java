package io.github.recurrent4j.nn;

import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.loss.CrossEntropy;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * An encoder–decoder with an attentive recurrent decoder, in either of the two classic styles:
 * <pre>
 *   encoder:   e_1..e_S = RNN(embed_src(x_1..x_S))       its final state is the decoder's s_0; y_0 = bos
 *   LUONG      (Luong, Pham and Manning 2015, global attention: attend after the step)
 *              s_t = cell(embed_tgt(y_{t-1}), s_{t-1});   c_t = attend(s_t, e)
 *   BAHDANAU   (Bahdanau, Cho and Bengio 2015: attend before the step, feed the context in)
 *              c_t = attend(s_{t-1}, e);   s_t = cell([embed_tgt(y_{t-1}); c_t], s_{t-1})
 *   both:      attend(q, e) = Σ_j α_j e_j,  α = softmax_j(score(q, e_j)) over the source's real steps
 *              h̃_t = tanh(W_c [c_t; s_t] + b_c),  logits_t = W_o h̃_t + b_o
 * </pre>
 * Any {@link Attention.Score} works with either style (Luong used dot/general, Bahdanau additive).
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

  /** Where the decoder attends: after its step (Luong) or before it, feeding the context in (Bahdanau). */
  public enum Style { LUONG, BAHDANAU }

  private final int targetVocab;
  private final int hidden;
  private final int bos;
  private final int eos;
  private final Embedding sourceEmbedding;
  private final Embedding targetEmbedding;
  private final RecurrentLayer encoder;
  private final RecurrentCell decoder;
  private final Style style;
  private final Attention attention;
  private final Linear combine; // [c; s] (2H) -> H
  private final Linear output; // H -> V
  private final Activation tanh = new Activation(Activation.Kind.TANH);
  private final int embedDim;
  private final List<Parameter> parameters = new ArrayList<>();

  // the last forward
  private int[] targetLengths; // n + 1 per row
  private int[] targetIds; // (B, T): y_1 .. y_n, eos, then padding 0
  private final List<Attention.Attended> attended = new ArrayList<>(); // one per decoder step
  private boolean forwardDone;
  private int batch;
  private int steps;
  private boolean backwardDone;

  /**
   * @param score how the decoder state is compared with the encoder outputs; the parameter-free
   *     scores need no extra size, {@link Attention.Score#ADDITIVE} gets {@code hidden} units
   */
  public Seq2Seq(int sourceVocab, int targetVocab, int embedDim, int hidden, CellType cell, Style style,
      Attention.Score score, int bos, int eos, Rng rng) {
    if (sourceVocab <= 0 || targetVocab <= 0 || embedDim <= 0 || hidden <= 0) {
      throw new IllegalArgumentException("Seq2Seq: vocabulary sizes, embedDim and hidden must be positive, got "
          + sourceVocab + ", " + targetVocab + ", " + embedDim + ", " + hidden);
    }
    if (bos < 0 || bos >= targetVocab || eos < 0 || eos >= targetVocab || bos == eos) {
      throw new IllegalArgumentException("Seq2Seq: bos and eos must be two different ids in [0, " + targetVocab
          + "), got bos=" + bos + ", eos=" + eos);
    }
    if (cell == null || style == null || score == null) {
      throw new IllegalArgumentException("Seq2Seq: cell, style and score must not be null");
    }
    this.style = style;
    this.embedDim = embedDim;
    this.targetVocab = targetVocab;
    this.hidden = hidden;
    this.bos = bos;
    this.eos = eos;
    sourceEmbedding = new Embedding(sourceVocab, embedDim, rng);
    targetEmbedding = new Embedding(targetVocab, embedDim, rng);
    encoder = cell == CellType.GRU ? new Gru(embedDim, hidden, rng) : new Lstm(embedDim, hidden, rng);
    int decoderInput = style == Style.BAHDANAU ? embedDim + hidden : embedDim;
    decoder = cell == CellType.GRU ? new GruCell(decoderInput, hidden, rng) : new LstmCell(decoderInput, hidden, rng);
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
    checkIds(source, "source", sourceEmbedding.count());
    checkIds(target, "target", targetVocab);
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
    int t = in.steps;
    int h = hidden;
    Tensor encoded = encoder.forward(sourceEmbedding.forward(src.ids, b, src.steps), src.lengths, null);
    Tensor embedded = targetEmbedding.forward(in.ids, b, t);
    RnnState state = asCellState(encoder.finalState(), b);
    decoder.clearSteps();
    attended.clear();
    forwardDone = false;
    Tensor contexts = Tensor.zeros(b, t, h);
    Tensor states = Tensor.zeros(b, t, h);
    for (int step = 0; step < t; step++) {
      Tensor x = slice(embedded, step);
      Attention.Attended a;
      if (style == Style.LUONG) {
        state = decoder.forward(x, state);
        a = attention.attend(state.h(), encoded, encoded, src.lengths);
      } else {
        a = attention.attend(state.h(), encoded, encoded, src.lengths);
        state = decoder.forward(concat(x, a.context()), state);
      }
      attended.add(a);
      place(a.context(), contexts, step);
      place(state.h(), states, step);
    }
    Tensor logits = output.forward(tanh.forward(combine.forward(concat(contexts, states))));
    SequenceLengths.zeroPadded(logits, in.lengths);
    this.targetLengths = in.lengths;
    this.targetIds = pad(expected, "target", 0).ids;
    this.batch = b;
    this.steps = t;
    this.backwardDone = false;
    this.forwardDone = true;
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

  /** The attention weights of the last forward, (B, T, S); zero at padded target steps. */
  public Tensor attentionWeights() {
    requireForward();
    int s = attended.get(0).weights().dim(1);
    Tensor w = Tensor.zeros(batch, steps, s);
    for (int step = 0; step < steps; step++) {
      place(attended.get(step).weights(), w, step);
    }
    SequenceLengths.zeroPadded(w, targetLengths);
    return w;
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
    SequenceLengths.zeroPadded(g, targetLengths); // padded logits are constants
    Tensor dCat = combine.backward(tanh.backward(output.backward(g)));
    int h = hidden;
    int b = batch;
    Tensor dContexts = Tensor.zeros(batch, steps, h);
    Tensor dStates = Tensor.zeros(batch, steps, h);
    split(dCat, dContexts, dStates);
    Tensor dEncoded = null;
    Tensor dEmbedded = Tensor.zeros(b, steps, embedDim);
    RnnState carry = new RnnState(Tensor.zeros(b, h), null); // d(loss)/d(s_t) from the later steps
    for (int step = steps - 1; step >= 0; step--) {
      Attention.Attended a = attended.get(step);
      Tensor dContext = slice(dContexts, step);
      Tensor dh = slice(dStates, step);
      addInto(dh, carry.h());
      Attention.Grads ga;
      RecurrentCell.Gradients gc;
      if (style == Style.LUONG) {
        ga = a.backward(dContext);
        addInto(dh, ga.query());
        gc = decoder.backward(new RnnState(dh, carry.c()));
        place(gc.input(), dEmbedded, step);
        carry = gc.state();
      } else {
        gc = decoder.backward(new RnnState(dh, carry.c()));
        Tensor dInput = gc.input();
        Tensor dx = Tensor.zeros(b, embedDim);
        Tensor dFedContext = Tensor.zeros(b, h);
        split(dInput, dx, dFedContext);
        place(dx, dEmbedded, step);
        addInto(dContext, dFedContext);
        ga = a.backward(dContext);
        carry = gc.state();
        addInto(carry.h(), ga.query());
      }
      if (dEncoded == null) {
        dEncoded = ga.keys();
      } else {
        addInto(dEncoded, ga.keys());
      }
      addInto(dEncoded, ga.values());
    }
    targetEmbedding.backward(dEmbedded);
    RnnState dFinal = new RnnState(carry.h().reshape(1, b, h), carry.c() == null ? null : carry.c().reshape(1, b, h));
    sourceEmbedding.backward(encoder.backward(dEncoded, dFinal));
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
    if (source == null) {
      throw new IllegalArgumentException(this + ": source must not be null");
    }
    checkIds(new int[][] {source}, "source", sourceEmbedding.count());
    Padded src = pad(new int[][] {source}, "source", 0);
    int s = src.steps;
    int h = hidden;
    RecurrentLayer.Result enc = encoder.infer(sourceEmbedding.infer(src.ids, 1, s), null, null);
    List<Hypothesis> live = List.of(new Hypothesis(new int[0], 0, asCellState(enc.finalState(), 1), 0));
    List<Hypothesis> finished = new ArrayList<>();
    Kernels kernels = Kernels.active();
    Tensor[] encodedFor = new Tensor[beamWidth + 1]; // the encoder output repeated for n live beams, made once per n
    for (int step = 0; step <= maxLength && !live.isEmpty() && finished.size() < beamWidth; step++) {
      int n = live.size();
      int[] last = new int[n];
      Tensor stateH = Tensor.zeros(n, h);
      Tensor stateC = live.get(0).state.c() == null ? null : Tensor.zeros(n, h);
      if (encodedFor[n] == null) {
        encodedFor[n] = Tensor.zeros(n, s, h);
        for (int i = 0; i < n; i++) {
          System.arraycopy(enc.output().data(), 0, encodedFor[n].data(), i * s * h, s * h);
        }
      }
      Tensor encoded = encodedFor[n];
      for (int i = 0; i < n; i++) {
        Hypothesis hyp = live.get(i);
        last[i] = hyp.tokens.length == 0 ? bos : hyp.tokens[hyp.tokens.length - 1];
        System.arraycopy(hyp.state.h().data(), hyp.row * h, stateH.data(), i * h, h);
        if (stateC != null) {
          System.arraycopy(hyp.state.c().data(), hyp.row * h, stateC.data(), i * h, h);
        }
      }
      Tensor x = targetEmbedding.infer(last, n);
      RnnState start = new RnnState(stateH, stateC);
      RnnState after;
      Tensor context;
      if (style == Style.LUONG) {
        after = decoder.infer(x, start);
        context = attention.attend(after.h(), encoded, encoded, null).context();
      } else {
        context = attention.attend(start.h(), encoded, encoded, null).context();
        after = decoder.infer(concat(x, context), start);
      }
      Tensor combined = combine.infer(concat(context, after.h()));
      kernels.tanh(combined.data(), 0, combined.data(), 0, combined.size());
      Tensor logits = output.infer(combined);
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
          candidates.add(new Hypothesis(tokens, hyp.logProb + logProbs[i * targetVocab + v], after, i));
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

  private record Padded(int[] ids, int[] lengths, int steps) {}

  /** Right-pads ragged rows with {@code fill}; every row must be non-empty. */
  /** Every id of every (non-null) row in [0, vocab), or an exception that names the row, the position and the id. */
  private void checkIds(int[][] rows, String what, int vocab) {
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; rows[i] != null && j < rows[i].length; j++) {
        if (rows[i][j] < 0 || rows[i][j] >= vocab) {
          throw new IllegalArgumentException(this + ": " + what + " " + i + " has the id " + rows[i][j] + " at position "
              + j + ", outside the vocabulary [0, " + vocab + ")");
        }
      }
    }
  }

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

  /** [a; b] along the last axis: a (..., P) and b (..., Q) with the same leading dimensions give (..., P + Q). */
  private static Tensor concat(Tensor a, Tensor b) {
    int p = a.dim(a.rank() - 1);
    int q = b.dim(b.rank() - 1);
    int rows = a.size() / p;
    int[] shape = a.shape();
    shape[shape.length - 1] = p + q;
    Tensor out = Tensor.zeros(shape);
    for (int r = 0; r < rows; r++) {
      System.arraycopy(a.data(), r * p, out.data(), r * (p + q), p);
      System.arraycopy(b.data(), r * q, out.data(), r * (p + q) + p, q);
    }
    return out;
  }

  /** The inverse of {@link #concat}: copies the two parts of {@code whole} into {@code a} and {@code b}. */
  private static void split(Tensor whole, Tensor a, Tensor b) {
    int p = a.dim(a.rank() - 1);
    int q = b.dim(b.rank() - 1);
    int rows = a.size() / p;
    for (int r = 0; r < rows; r++) {
      System.arraycopy(whole.data(), r * (p + q), a.data(), r * p, p);
      System.arraycopy(whole.data(), r * (p + q) + p, b.data(), r * q, q);
    }
  }

  /** Step {@code step} of a (B, T, F) tensor, as a new (B, F) tensor. */
  private static Tensor slice(Tensor x, int step) {
    int b = x.dim(0);
    int t = x.dim(1);
    int f = x.dim(2);
    Tensor out = Tensor.zeros(b, f);
    for (int row = 0; row < b; row++) {
      System.arraycopy(x.data(), (row * t + step) * f, out.data(), row * f, f);
    }
    return out;
  }

  /** Writes a (B, F) tensor into step {@code step} of a (B, T, F) tensor. */
  private static void place(Tensor x, Tensor into, int step) {
    int b = into.dim(0);
    int t = into.dim(1);
    int f = into.dim(2);
    for (int row = 0; row < b; row++) {
      System.arraycopy(x.data(), row * f, into.data(), (row * t + step) * f, f);
    }
  }

  /** A layer's state (1, B, H) as a cell's (B, H). */
  private RnnState asCellState(RnnState layerState, int b) {
    Tensor c = layerState.c();
    return new RnnState(layerState.h().reshape(b, hidden), c == null ? null : c.reshape(b, hidden));
  }

  private static void addInto(Tensor into, Tensor x) {
    for (int i = 0; i < into.size(); i++) {
      into.data()[i] += x.data()[i];
    }
  }

  private void requireForward() {
    if (!forwardDone) {
      throw new IllegalStateException(this + ": called before forward");
    }
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  @Override
  public String toString() {
    return "Seq2Seq(" + encoder.getClass().getSimpleName() + ", " + style + ", hidden=" + hidden + ", "
        + attention.score() + ")";
  }
}
