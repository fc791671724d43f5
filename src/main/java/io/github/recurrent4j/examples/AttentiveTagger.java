package io.github.recurrent4j.examples;

import io.github.recurrent4j.nn.Bidirectional;
import io.github.recurrent4j.nn.Gru;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.MultiHeadAttention;
import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.nn.SequenceLayer;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A bidirectional GRU whose every step also looks at the whole sentence through multi-head
 * self-attention: {@code logits_t = W [h_t; attend(h_t, h_1..h_T)] + b}. Padded words are masked.
 */
final class AttentiveTagger implements SequenceLayer {
  private final Bidirectional gru;
  private final MultiHeadAttention attention;
  private final Linear output;
  private final int width;
  private Tensor states;

  AttentiveTagger(int input, int hidden, int heads, int tags, Rng rng) {
    gru = new Bidirectional(new Gru(input, hidden, rng), Bidirectional.Merge.CONCAT, rng);
    width = 2 * hidden;
    attention = new MultiHeadAttention(width, heads, rng);
    output = new Linear(2 * width, tags, true, rng);
  }

  @Override
  public Tensor forward(Tensor x, int[] lengths) {
    states = gru.forward(x, lengths);
    Tensor attended = attention.forward(states, states, states, lengths, lengths, false);
    int rows = states.dim(0) * states.dim(1);
    Tensor both = Tensor.zeros(states.dim(0), states.dim(1), 2 * width);
    for (int r = 0; r < rows; r++) {
      System.arraycopy(states.data(), r * width, both.data(), r * 2 * width, width);
      System.arraycopy(attended.data(), r * width, both.data(), r * 2 * width + width, width);
    }
    return output.forward(both);
  }

  @Override
  public Tensor backward(Tensor gradOutput) {
    Tensor dBoth = output.backward(gradOutput);
    int rows = states.dim(0) * states.dim(1);
    Tensor dStates = Tensor.zeros(states.shape());
    Tensor dAttended = Tensor.zeros(states.shape());
    for (int r = 0; r < rows; r++) {
      System.arraycopy(dBoth.data(), r * 2 * width, dStates.data(), r * width, width);
      System.arraycopy(dBoth.data(), r * 2 * width + width, dAttended.data(), r * width, width);
    }
    Tensor viaAttention = attention.backward(dAttended);
    for (int i = 0; i < dStates.size(); i++) {
      dStates.data()[i] += viaAttention.data()[i];
    }
    return gru.backward(dStates);
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> all = new ArrayList<>();
    gru.parameters().forEach(p -> all.add(p.prefixed("gru.")));
    attention.parameters().forEach(p -> all.add(p.prefixed("attention.")));
    output.parameters().forEach(p -> all.add(p.prefixed("output.")));
    return all;
  }

  @Override
  public String toString() {
    return "AttentiveTagger(" + width + ")";
  }
}
