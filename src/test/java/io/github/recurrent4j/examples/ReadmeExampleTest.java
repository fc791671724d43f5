package io.github.recurrent4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.io.AttentionHeatmap;
import io.github.recurrent4j.nn.Attention;
import io.github.recurrent4j.nn.AttentionPooling;
import io.github.recurrent4j.nn.Bidirectional;
import io.github.recurrent4j.nn.Embedding;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.RnnState;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.MultiHeadAttention;
import io.github.recurrent4j.nn.Seq2Seq;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's code, line for line, so that it keeps compiling and doing what the README says. */
class ReadmeExampleTest {
  @Test
  void usingItSection() {
    Linear layer = new Linear(4, 2, true, new Rng(42)); // weight [2, 4], bias [2], PyTorch's init
    Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4);
    Tensor y = layer.forward(x); // [2, 2]
    Tensor dx = layer.backward(Tensor.zeros(2, 2).fill(1f)); // adds into layer.weight().grad(), returns dL/dx
    assertThat(y.shape()).containsExactly(2, 2);
    assertThat(dx.shape()).containsExactly(2, 4);
    assertThat(layer.weight().grad().get(0, 0)).isEqualTo(1f + 5f);

    Embedding embedding = new Embedding(10, 3, new Rng(1));
    assertThat(embedding.forward(new int[][] {{4, 2, 7}}).shape()).containsExactly(1, 3, 3);
  }

  @Test
  void recurrentLayersBullet() {
    Lstm lstm = new Lstm(8, 16, new Rng(1));
    Tensor x = Tensor.zeros(2, 5, 8); // [batch, time, features]
    int[] lengths = {5, 3}; // right-padded rows, any order
    Tensor y = lstm.forward(x, lengths, null); // [2, 5, 16]; zeros past each length
    RnnState last = lstm.finalState(); // h and c, [1, 2, 16], at each row's last step
    Tensor dx = lstm.backward(Tensor.zeros(2, 5, 16), new RnnState(last.h(), null)); // BPTT
    RnnState dInitial = lstm.initialStateGrad(); // to train an encoder through a decoder
    Tensor served = lstm.infer(x, lengths, null).output(); // caches nothing; many threads at once
    assertThat(y.shape()).containsExactly(2, 5, 16);
    assertThat(last.c().shape()).containsExactly(1, 2, 16);
    assertThat(dx.shape()).containsExactly(2, 5, 8);
    assertThat(dInitial.h().shape()).containsExactly(1, 2, 16);
    assertThat(served.data()).containsExactly(y.data());
    assertThat(new Bidirectional(lstm).stateDict()).containsKey("weight_ih_l0_reverse");
    Rng rng = new Rng(3);
    io.github.recurrent4j.nn.StackedRnn stacked = new io.github.recurrent4j.nn.StackedRnn(new Lstm(8, 16, rng), 2, true,
        0.1f, rng);
    // The keys of torch.nn.LSTM(8, 16, num_layers=2, bidirectional=True).state_dict(), in its order.
    assertThat(stacked.stateDict().keySet()).containsExactly("weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
        "bias_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_ih_l1_reverse", "weight_hh_l1_reverse",
        "bias_ih_l1_reverse", "bias_hh_l1_reverse");
    assertThat(stacked.stateDict().get("weight_ih_l1").shape()).containsExactly(64, 32);
  }

  @Test
  void attentionBullets(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Lstm lstm = new Lstm(8, 16, new Rng(1));
    int[] lengths = {5, 3};
    Tensor y = lstm.forward(io.github.recurrent4j.tensor.Init.normal(Tensor.zeros(2, 5, 8), 0, 1, new Rng(4)), lengths,
        null);
    RnnState last = lstm.finalState();
    Attention attention = Attention.additive(16, 16, 16, new Rng(2)); // or dot, general, SCALED_DOT
    Tensor query = last.h().reshape(2, 16); // [2, 16] or [2, Tq, 16]
    Attention.Attended a = attention.attend(query, y, y, lengths); // over the LSTM's outputs above
    Tensor context = a.context(); // [2, 16]: Σ_t α_t y_t
    Tensor alpha = a.weights(); // [2, 5], each row sums to 1
    Attention.Grads g = a.backward(Tensor.zeros(2, 16).fill(1f)); // d query, keys, values
    assertThat(context.shape()).containsExactly(2, 16);
    assertThat(alpha.shape()).containsExactly(2, 5);
    assertThat(alpha.get(1, 4)).isZero();
    assertThat(g.keys().shape()).containsExactly(2, 5, 16);
    assertThat(new AttentionPooling(16, new Rng(5)).forward(y, lengths).shape()).containsExactly(2, 16);
    assertThat(new MultiHeadAttention(64, 4).stateDict().keySet()).containsExactly("in_proj_weight", "in_proj_bias",
        "out_proj.weight", "out_proj.bias");

    Seq2Seq model = new Seq2Seq(10, 12, 16, 48, Seq2Seq.CellType.GRU, Seq2Seq.Style.BAHDANAU,
        Attention.Score.ADDITIVE, /* bos */ 10, /* eos */ 11, new Rng(1));
    int[][] sources = {{1, 2, 3}, {4, 5}};
    int[][] targets = {{3, 2, 1}, {5, 4}};
    Adam adam = new Adam(model.parameters(), 0.01);
    adam.zeroGrad();
    double loss = model.trainingLoss(sources, targets); // int[][] each, ragged; targets without bos/eos
    adam.step();
    int[] best = model.beamSearch(new int[] {3, 1, 4}, 4, 12); // beam 4, at most 12 tokens
    model.forward(new int[][] {{3, 1, 4}}, new int[][] {best});
    List<String> outputLabels = new ArrayList<>();
    for (int token : best) {
      outputLabels.add(String.valueOf(token));
    }
    outputLabels.add("</s>");
    Path png = dir.resolve("attention.png");
    AttentionHeatmap.write(png, model.attentionWeights().reshape(best.length + 1, 3),
        List.of("3", "1", "4"), outputLabels); // a List<String>: one per output step, eos included
    assertThat(loss).isBetween(0.0, 10.0);
    assertThat(best.length).isLessThanOrEqualTo(12);
    assertThat(Files.size(png)).isPositive();
  }
}
