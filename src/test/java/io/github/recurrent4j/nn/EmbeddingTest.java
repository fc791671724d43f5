package io.github.recurrent4j.nn;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmbeddingTest {
  @Test
  void matchesPyTorchLookupAndWeightGradientWithRepeatedIds() {
    Map<String, Tensor> f = Fixtures.load("embedding.safetensors");
    Tensor weight = Fixtures.get(f, "plain", "weight");
    Tensor idTensor = Fixtures.get(f, "plain", "ids");
    Embedding layer = new Embedding(weight.dim(0), weight.dim(1), new Rng(0));
    layer.loadStateDict(Map.of("weight", weight));
    Tensor y = layer.forward(Fixtures.ids(idTensor), idTensor.shape());
    assertClose("output", y, Fixtures.get(f, "plain", "output"), 0, 0);
    layer.backward(Fixtures.get(f, "plain", "grad_output"));
    assertClose("grad_weight", layer.weight().grad(), Fixtures.get(f, "plain", "grad_weight"), 1e-6, 1e-6);
  }

  @Test
  void paddingRowStartsAtZeroAndGetsNoGradientAsInPyTorch() {
    Map<String, Tensor> f = Fixtures.load("embedding.safetensors");
    Tensor weight = Fixtures.get(f, "padded", "weight");
    Tensor idTensor = Fixtures.get(f, "padded", "ids");
    Embedding fresh = Embedding.withPadding(weight.dim(0), weight.dim(1), 0, new Rng(3));
    assertThat(java.util.Arrays.copyOfRange(fresh.weight().value().data(), 0, weight.dim(1))).containsOnly(0f);
    fresh.loadStateDict(Map.of("weight", weight));
    int[] ids = Fixtures.ids(idTensor);
    assertThat(ids).contains(0);
    fresh.forward(ids, idTensor.shape());
    fresh.backward(Fixtures.get(f, "padded", "grad_output"));
    assertClose("grad_weight", fresh.weight().grad(), Fixtures.get(f, "padded", "grad_weight"), 1e-6, 1e-6);
  }

  @Test
  void rectangularBatchesGiveBatchTimeDim() {
    Embedding layer = new Embedding(5, 3, new Rng(1));
    Tensor y = layer.forward(new int[][] {{1, 2}, {4, 0}});
    assertThat(y.shape()).containsExactly(2, 2, 3);
    for (int d = 0; d < 3; d++) {
      assertThat(y.get(1, 0, d)).isEqualTo(layer.weight().value().get(4, d));
    }
  }

  @Test
  void badIdsAndShapesAreRejectedWithTheirPosition() {
    Embedding layer = new Embedding(5, 3, new Rng(1));
    assertThatThrownBy(() -> layer.forward(new int[] {1, 5, 2}, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Embedding(count=5, dim=3): token id 5 at position 1 is out of range [0, 5)");
    assertThatThrownBy(() -> layer.forward(new int[] {-1}, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Embedding(count=5, dim=3): token id -1 at position 0 is out of range [0, 5)");
    assertThatThrownBy(() -> layer.forward(new int[] {1, 2, 3}, 2, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Embedding(count=5, dim=3): 3 ids do not fill shape [2, 2]");
    assertThatThrownBy(() -> layer.forward(new int[][] {{1, 2}, {3}}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Embedding(count=5, dim=3): ids must be rectangular: row 0 has 2 ids but row 1 has 1;"
            + " pad shorter rows and pass lengths");
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(1, 3)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Embedding(count=5, dim=3): backward called before forward");
    layer.forward(new int[] {1, 2}, 2);
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Embedding(count=5, dim=3): expected gradOutput of shape [2, 3], got [2, 4]");
    assertThatThrownBy(() -> Embedding.withPadding(5, 3, 5, new Rng(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Embedding: paddingIndex must be in [0, 5), got 5");
  }
}
