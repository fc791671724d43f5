package io.github.recurrent4j.train;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.RnnState;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TruncatedBpttTest {
  @Test
  void theStateCrossesChunkBoundariesAndTheGradientDoesNot() {
    Rng rng = new Rng(9);
    Lstm lstm = new Lstm(2, 3, rng);
    Tensor x = Init.normal(Tensor.zeros(2, 7, 2), 0, 1, rng);
    int[] lengths = {7, 5};
    Tensor whole = lstm.infer(x, lengths, null).output();

    // Chunks of 3 (3 + 3 + 1 steps); a loss only on the last chunk's outputs.
    List<float[]> outputs = new ArrayList<>();
    List<float[]> inputGrads = new ArrayList<>();
    List<RnnState> initials = new ArrayList<>();
    lstm.zeroGrad();
    TruncatedBptt.run(lstm, x, lengths, 3, (chunk, chunkLengths, initial, index) -> {
      Tensor y = lstm.forward(chunk, chunkLengths, initial);
      outputs.add(y.data().clone());
      initials.add(initial);
      Tensor dy = index == 2 ? Tensor.full(1f, y.shape()) : Tensor.zeros(y.shape());
      inputGrads.add(lstm.backward(dy).data().clone());
      return 0;
    });
    // The state carried: the chunks' outputs are the whole sequence's.
    float[] stitched = new float[whole.size()];
    int[] steps = {3, 3, 1};
    for (int row = 0; row < 2; row++) {
      int at = 0;
      for (int c = 0; c < 3; c++) {
        System.arraycopy(outputs.get(c), row * steps[c] * 3, stitched, (row * 7 + at) * 3, steps[c] * 3);
        at += steps[c];
      }
    }
    assertClose("outputs", stitched, whole.data(), 1e-6, 1e-5);
    // The gradient did not cross: earlier chunks got none, and the weights' gradient is that of the last chunk alone.
    assertThat(inputGrads.get(0)).containsOnly(0f);
    assertThat(inputGrads.get(1)).containsOnly(0f);
    float[] truncated = lstm.weightHh().grad().data().clone();
    lstm.zeroGrad();
    Tensor lastChunk = Tensor.of(new float[] {x.get(0, 6, 0), x.get(0, 6, 1), 0, 0}, 2, 1, 2);
    Tensor y = lstm.forward(lastChunk, new int[] {1, 0}, initials.get(2));
    lstm.backward(Tensor.full(1f, y.shape()));
    assertThat(truncated).containsExactly(lstm.weightHh().grad().data());
  }
}
