package io.github.recurrent4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.nn.Bidirectional;
import io.github.recurrent4j.nn.Embedding;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.RnnState;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
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
}
