package io.github.recurrent4j.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import io.github.recurrent4j.io.SafeTensors;
import io.github.recurrent4j.io.SafeTensorsFormatException;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharModelTest {
  @TempDir Path dir;

  /** The PyTorch half of the round trip: weights trained by tools/interop.py give PyTorch's logits in Java. */
  @Test
  void aModelTrainedInPyTorchPredictsTheSameInJava() throws Exception {
    CharModel model = CharModel.load(Path.of("src/test/resources/fixtures/interop/torch-char-lstm.safetensors"));
    Map<String, Tensor> probe = Fixtures.load("interop/torch-char-lstm.probe.safetensors");
    int[] ids = Fixtures.ids(probe.get("ids"));
    Tensor expected = probe.get("logits");
    Tensor got = model.logits(ids);

    assertThat(got.shape()).containsExactly(expected.shape());
    int v = model.alphabet().length();
    for (int t = 0; t < ids.length; t++) {
      int bestTorch = 0;
      int bestJava = 0;
      for (int c = 0; c < v; c++) {
        assertThat(got.data()[t * v + c]).as("logit %d at position %d", c, t)
            .isCloseTo(expected.data()[t * v + c], offset(2e-5f));
        bestTorch = expected.data()[t * v + c] > expected.data()[t * v + bestTorch] ? c : bestTorch;
        bestJava = got.data()[t * v + c] > got.data()[t * v + bestJava] ? c : bestJava;
      }
      assertThat(bestJava).as("most likely character after position %d", t).isEqualTo(bestTorch);
    }
    // The file's model is a trained one, not noise: it predicts the probe text well below log2(70).
    assertThat(model.bitsPerCharacter(ids)).isLessThan(3.5);
  }

  @Test
  void saveAndLoadKeepTheAlphabetAndTheExactPredictions() throws Exception {
    CharModel model = new CharModel("abc .", 4, 6, new Rng(3));
    Path file = dir.resolve("m.safetensors");
    model.save(file);
    CharModel back = CharModel.load(file);

    int[] ids = model.encode("abc. cab ba");
    assertThat(back.alphabet()).isEqualTo("abc .");
    assertThat(back.logits(ids).data()).containsExactly(model.logits(ids).data());
    assertThat(back.bitsPerCharacter(ids)).isEqualTo(model.bitsPerCharacter(ids));
  }

  @Test
  void bitsPerCharacterIsTheMeanNextCharacterCrossEntropyInBits() {
    CharModel model = new CharModel("xyz", 3, 5, new Rng(4));
    int[] ids = {0, 1, 2, 2, 1, 0, 0};
    Tensor logits = model.logits(ids);
    double nats = 0; // by hand: -log softmax(logits_t)[ids[t + 1]]
    for (int t = 0; t + 1 < ids.length; t++) {
      double sum = 0;
      for (int c = 0; c < 3; c++) {
        sum += Math.exp(logits.data()[t * 3 + c]);
      }
      nats += Math.log(sum) - logits.data()[t * 3 + ids[t + 1]];
    }
    assertThat(model.bitsPerCharacter(ids)).isCloseTo(nats / 6 / Math.log(2), offset(1e-6));
  }

  @Test
  void samplingFollowsTheTemperature() {
    CharModel model = new CharModel("ab", 2, 4, new Rng(5));
    // A very low temperature always picks the most likely character; the stream must agree with logits().
    String cold = model.sample("a", 30, 1e-3, new Rng(1));
    String text = "a" + cold;
    Tensor logits = model.logits(model.encode(text));
    for (int t = 0; t < cold.length(); t++) {
      int best = logits.data()[t * 2] >= logits.data()[t * 2 + 1] ? 0 : 1;
      assertThat(cold.charAt(t)).as("character %d", t).isEqualTo("ab".charAt(best));
    }
    assertThat(model.sample("ab", 50, 1.0, new Rng(9))).hasSize(50).matches("[ab]+");
    assertThat(model.sample("ab", 50, 1.0, new Rng(9))).isEqualTo(model.sample("ab", 50, 1.0, new Rng(9)));
  }

  @Test
  void misuseIsReportedClearly() throws Exception {
    CharModel model = new CharModel("ab", 2, 4, new Rng(5));
    assertThatThrownBy(() -> model.encode("abc")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CharModel: character 'c' (U+0063) at 2 is not in the model's alphabet");
    assertThatThrownBy(() -> model.sample("a", 5, 0, new Rng(1))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CharModel: the temperature must be > 0, got 0.0");
    assertThatThrownBy(() -> model.sample("", 5, 1, new Rng(1))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CharModel: sampling needs a prompt of at least one character");
    assertThatThrownBy(() -> new CharModel("aba", 2, 4, new Rng(1))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CharModel: the alphabet must be distinct characters, got \"aba\"");
    Path other = dir.resolve("other.safetensors");
    SafeTensors.write(other, Map.of("w", Tensor.zeros(2, 2)));
    assertThatThrownBy(() -> CharModel.load(other)).isInstanceOf(SafeTensorsFormatException.class)
        .hasMessage(other + ": not a CharModel file (it needs the metadata key 'alphabet' and the tensors "
            + "embedding.weight and lstm.weight_hh_l0)");
  }
}
