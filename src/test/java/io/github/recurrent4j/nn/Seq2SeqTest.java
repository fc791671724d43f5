package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.optim.Clipping;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class Seq2SeqTest {
  static final int BOS = 10;
  static final int EOS = 11;

  static int[] digits(Rng rng, int minLength, int maxLength) {
    int[] s = new int[minLength + rng.nextInt(maxLength - minLength + 1)];
    for (int i = 0; i < s.length; i++) {
      s[i] = rng.nextInt(10);
    }
    return s;
  }

  static int[] reversed(int[] s) {
    int[] r = new int[s.length];
    for (int i = 0; i < s.length; i++) {
      r[i] = s[s.length - 1 - i];
    }
    return r;
  }

  /** 1500 seeded Adam steps of 32 strings (about 9 s per style on 2 cores); 99% exact match on unseen strings. */
  @ParameterizedTest
  @EnumSource(Seq2Seq.Style.class)
  void learnsToReverseDigitStrings(Seq2Seq.Style style) {
    Rng rng = new Rng(42);
    Seq2Seq model = new Seq2Seq(10, 12, 16, 48, Seq2Seq.CellType.GRU, style,
        style == Seq2Seq.Style.LUONG ? Attention.Score.GENERAL : Attention.Score.ADDITIVE, BOS, EOS, new Rng(1));
    Adam adam = new Adam(model.parameters(), 0.01);
    Set<String> seen = new HashSet<>();
    int steps = 1500;
    for (int step = 0; step < steps; step++) {
      if (step == steps * 2 / 3) {
        // A step down in the learning rate for the last third: without it the result depended on the
        // seed (451-500 of 500 over seeds 1-5 for each style); with it seeds 1-6 all gave 498-500.
        adam.setLearningRate(0.002);
      }
      int[][] src = new int[32][];
      int[][] tgt = new int[32][];
      for (int i = 0; i < 32; i++) {
        src[i] = digits(rng, 3, 8);
        tgt[i] = reversed(src[i]);
        seen.add(Arrays.toString(src[i]));
      }
      adam.zeroGrad();
      double loss = model.trainingLoss(src, tgt);
      Clipping.clipGradNorm(model.parameters(), 5.0);
      adam.step();
      assertThat(loss).isFinite();
    }
    Rng held = new Rng(7);
    int correct = 0;
    int total = 0;
    while (total < 500) {
      int[] s = digits(held, 3, 8);
      if (seen.contains(Arrays.toString(s))) {
        continue;
      }
      total++;
      if (Arrays.equals(model.greedy(new int[][] {s}, 12)[0], reversed(s))) {
        correct++;
      }
    }
    assertThat(correct).as("exact matches out of %d held-out strings", total).isGreaterThanOrEqualTo(495);
  }

  @ParameterizedTest
  @EnumSource(Seq2Seq.CellType.class)
  void gradientsReachEveryParameterThroughAttentionAndTheEncodersFinalState(Seq2Seq.CellType cell) {
    for (Seq2Seq.Style style : Seq2Seq.Style.values()) {
      Attention.Score score = style == Seq2Seq.Style.LUONG ? Attention.Score.GENERAL : Attention.Score.ADDITIVE;
      Seq2Seq model = new Seq2Seq(5, 6, 3, 4, cell, style, score, 4, 5, new Rng(3));
      int[][] src = {{1, 2, 3, 0}, {4, 1}};
      int[][] tgt = {{2, 3}, {1, 0, 3}};
      GradientCheck.check(GradientCheck.Function.of(model.parameters(), () -> model.forward(src, tgt), model::backward),
          GradientCheck.Options.defaults()).requirePassed();
    }
  }

  @Test
  void paddedStepsHaveZeroLogitsAndTheTargetsEndInEos() {
    Seq2Seq model = new Seq2Seq(5, 6, 3, 4, Seq2Seq.CellType.LSTM, Seq2Seq.Style.BAHDANAU, Attention.Score.DOT, 4, 5, new Rng(3));
    Tensor logits = model.forward(new int[][] {{1, 2}, {3}}, new int[][] {{2, 3, 1}, {0}});
    assertThat(logits.shape()).containsExactly(2, 4, 6);
    assertThat(model.targetLengths()).containsExactly(4, 2);
    assertThat(model.targetIds()).containsExactly(2, 3, 1, 5, 0, 5, 0, 0);
    for (int t = 2; t < 4; t++) {
      for (int v = 0; v < 6; v++) {
        assertThat(logits.get(1, t, v)).isZero();
      }
    }
    Tensor w = model.attentionWeights();
    assertThat(w.shape()).containsExactly(2, 4, 2);
    assertThat(w.get(1, 0, 1)).as("the second source has one step").isZero();
    assertThat(w.get(1, 0, 0)).isEqualTo(1f);
    assertThat(w.get(1, 2, 0)).as("a padded target step").isZero();
  }

  /**
   * With a beam wide enough to keep everything, beam search must return the sequence with the best
   * per-token log-probability, found here by scoring every sequence with the teacher-forced forward.
   */
  @ParameterizedTest
  @EnumSource(Seq2Seq.Style.class)
  void aWideBeamFindsTheBestSequenceByExhaustiveSearch(Seq2Seq.Style style) {
    Seq2Seq model = new Seq2Seq(3, 4, 3, 5, Seq2Seq.CellType.LSTM, style, Attention.Score.SCALED_DOT, 2, 3, new Rng(9));
    int[] source = {0, 1, 2, 1};
    int maxLength = 3;
    int[] best = null;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int length = 0; length <= maxLength; length++) {
      for (int code = 0; code < Math.pow(3, length); code++) {
        int[] y = new int[length];
        for (int i = 0, c = code; i < length; i++, c /= 3) {
          y[i] = c % 3; // tokens 0, 1 and bos (2); eos (3) only at the end
        }
        double score = teacherForcedLogProb(model, source, y) / (length + 1);
        if (score > bestScore) {
          bestScore = score;
          best = y;
        }
      }
    }
    assertThat(model.beamSearch(source, 100, maxLength)).containsExactly(best);
  }

  static double teacherForcedLogProb(Seq2Seq model, int[] source, int[] y) {
    Tensor logits = model.forward(new int[][] {source}, new int[][] {y});
    int[] ids = model.targetIds();
    double total = 0;
    int v = logits.dim(2);
    for (int t = 0; t < ids.length; t++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < v; k++) {
        max = Math.max(max, logits.get(0, t, k));
      }
      double sum = 0;
      for (int k = 0; k < v; k++) {
        sum += Math.exp(logits.get(0, t, k) - max);
      }
      total += logits.get(0, t, ids[t]) - max - Math.log(sum);
    }
    return total;
  }

  @Test
  void misuseIsAClearError() {
    assertThatThrownBy(() -> new Seq2Seq(5, 6, 3, 4, Seq2Seq.CellType.GRU, Seq2Seq.Style.LUONG, Attention.Score.DOT, 4, 4, new Rng(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bos and eos must be two different ids in [0, 6), got bos=4, eos=4");
    Seq2Seq model = new Seq2Seq(5, 6, 3, 4, Seq2Seq.CellType.GRU, Seq2Seq.Style.LUONG, Attention.Score.DOT, 4, 5, new Rng(1));
    assertThatThrownBy(() -> model.backward(Tensor.zeros(1, 2, 6))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("called before forward");
    assertThatThrownBy(() -> model.forward(new int[][] {{1}}, new int[][] {{1}, {2}}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected as many targets as sources");
    assertThatThrownBy(() -> model.forward(new int[][] {{}}, new int[][] {{1}}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("source 0 is empty");
    assertThatThrownBy(() -> model.forward(new int[][] {{7}}, new int[][] {{1}}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("source 0 has the id 7 at position 0, outside the vocabulary [0, 5)");
    assertThatThrownBy(() -> model.beamSearch(new int[] {9}, 2, 5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("source 0 has the id 9 at position 0, outside the vocabulary [0, 5)");
    assertThatThrownBy(() -> model.beamSearch(new int[] {1}, 0, 5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beamWidth must be positive");
    model.forward(new int[][] {{1}}, new int[][] {{1}});
    assertThatThrownBy(() -> model.backward(Tensor.zeros(1, 3, 6))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected gradLogits of shape [1, 2, 6], got [1, 3, 6]");
    model.backward(Tensor.zeros(1, 2, 6));
    assertThatThrownBy(() -> model.backward(Tensor.zeros(1, 2, 6))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("backward called twice for one forward");
  }
}
