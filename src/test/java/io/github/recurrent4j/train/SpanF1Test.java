package io.github.recurrent4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.List;
import org.junit.jupiter.api.Test;

class SpanF1Test {
  static List<String> tags(String s) {
    return List.of(s.split(" "));
  }

  @Test
  void chunksFollowConllevalIncludingIAfterOAndTypeChanges() {
    assertThat(SpanF1.spans(tags("B-FROM I-FROM O B-TO")))
        .containsExactly(new SpanF1.Span("FROM", 0, 2), new SpanF1.Span("TO", 3, 4));
    // I- after O starts a chunk; I- of another type starts a new one; B- right after B- splits.
    assertThat(SpanF1.spans(tags("O I-TO I-TO I-DATE B-DATE B-DATE")))
        .containsExactly(new SpanF1.Span("TO", 1, 3), new SpanF1.Span("DATE", 3, 4), new SpanF1.Span("DATE", 4, 5),
            new SpanF1.Span("DATE", 5, 6));
  }

  /**
   * Worked by hand, as conlleval counts:
   * sentence 1  gold: [FROM 0-2] [TO 4-5]   predicted: [FROM 0-1] [FROM 1-2] [TO 4-5] (B-FROM B-FROM is two
   *             chunks; I-TO after O starts one)                               -> 1 correct of 3, 2 gold
   * sentence 2  gold: [DATE 1-3]            predicted: [DATE 1-3] [TIME 4-5]   -> 1 correct of 2, 1 gold
   * sentence 3  gold: [CLASS 0-1]           predicted: [AIRLINE 0-1]           -> 0 correct of 1, 1 gold
   * totals: correct 2, predicted 6, gold 4: precision 1/3, recall 1/2, F1 = (1/3) / (5/6) = 0.4
   */
  @Test
  void precisionRecallAndF1MatchAHandCount() {
    SpanF1 f1 = new SpanF1();
    f1.add(tags("B-FROM I-FROM O O B-TO"), tags("B-FROM B-FROM O O I-TO"));
    f1.add(tags("O B-DATE I-DATE O O"), tags("O B-DATE I-DATE O B-TIME"));
    f1.add(tags("B-CLASS O"), tags("B-AIRLINE O"));
    assertThat(f1.correctSpans()).isEqualTo(2);
    assertThat(f1.predictedSpans()).isEqualTo(6);
    assertThat(f1.goldSpans()).isEqualTo(4);
    assertThat(f1.precision()).isCloseTo(1.0 / 3, offset(1e-12));
    assertThat(f1.recall()).isCloseTo(0.5, offset(1e-12));
    assertThat(f1.f1()).isCloseTo(0.4, offset(1e-12));
  }

  @Test
  void emptyAndMalformedInput() {
    SpanF1 f1 = new SpanF1();
    f1.add(tags("O O"), tags("O O"));
    assertThat(f1.f1()).isZero();
    assertThatThrownBy(() -> f1.add(tags("O"), tags("O O")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SpanF1: gold and predicted tags must have the same length, got 1 and 2");
    assertThatThrownBy(() -> SpanF1.spans(tags("O X-TO")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SpanF1: tag 1 is \"X-TO\"; expected O, B-<type> or I-<type>");
  }
}
