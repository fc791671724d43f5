package io.github.recurrent4j.train;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Span-level precision, recall and F1 over BIO tags, by conlleval's rules (CoNLL-2000): a chunk
 * starts at {@code B-X}, or at {@code I-X} after {@code O} or after a chunk of another type; it
 * continues over {@code I-X} of the same type. A predicted chunk counts as correct only when the
 * gold sequence has a chunk with the same type, start and end. Accumulate over sentences with
 * {@link #add}, then read the totals.
 */
public final class SpanF1 {
  private long gold;
  private long predicted;
  private long correct;

  /** A chunk: its type and the token range [start, end). */
  public record Span(String type, int start, int end) {}

  /** Adds one sentence's gold and predicted tags (the same length). */
  public void add(List<String> goldTags, List<String> predictedTags) {
    if (goldTags == null || predictedTags == null || goldTags.size() != predictedTags.size()) {
      throw new IllegalArgumentException("SpanF1: gold and predicted tags must have the same length, got "
          + (goldTags == null ? "null" : goldTags.size()) + " and "
          + (predictedTags == null ? "null" : predictedTags.size()));
    }
    List<Span> g = spans(goldTags);
    List<Span> p = spans(predictedTags);
    Set<Span> goldSet = new HashSet<>(g);
    gold += g.size();
    predicted += p.size();
    for (Span s : p) {
      if (goldSet.contains(s)) {
        correct++;
      }
    }
  }

  /** The chunks of one sentence, by conlleval's rules. */
  public static List<Span> spans(List<String> tags) {
    List<Span> out = new ArrayList<>();
    String type = null;
    int start = -1;
    for (int i = 0; i <= tags.size(); i++) {
      String tag = i < tags.size() ? tags.get(i) : "O";
      if (tag == null || !(tag.equals("O") || tag.startsWith("B-") || tag.startsWith("I-"))) {
        throw new IllegalArgumentException("SpanF1: tag " + i + " is " + (tag == null ? "null" : "\"" + tag + "\"")
            + "; expected O, B-<type> or I-<type>");
      }
      String tagType = tag.equals("O") ? null : tag.substring(2);
      boolean continues = type != null && tag.startsWith("I-") && tagType.equals(type);
      if (type != null && !continues) {
        out.add(new Span(type, start, i));
        type = null;
      }
      if (tagType != null && !continues) {
        type = tagType;
        start = i;
      }
    }
    return out;
  }

  public long goldSpans() {
    return gold;
  }

  public long predictedSpans() {
    return predicted;
  }

  public long correctSpans() {
    return correct;
  }

  /** correct / predicted, 0 when nothing was predicted (as conlleval). */
  public double precision() {
    return predicted == 0 ? 0 : (double) correct / predicted;
  }

  /** correct / gold, 0 when there is no gold span. */
  public double recall() {
    return gold == 0 ? 0 : (double) correct / gold;
  }

  /** The harmonic mean of precision and recall, 0 when both are 0. */
  public double f1() {
    double p = precision();
    double r = recall();
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }
}
