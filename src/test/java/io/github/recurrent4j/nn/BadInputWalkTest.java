package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Walks every public sequence layer through the same bad inputs. Each must fail at its entry
 * point with an exception whose message names the layer, what it expected and what it got, never
 * later inside a kernel; an empty batch is valid and gives an empty output of the right shape.
 */
class BadInputWalkTest {
  static final int F = 3;

  record Subject(String name, Supplier<SequenceLayer> make, int outFeatures, boolean keepsTime) {}

  static List<Subject> subjects() {
    return List.of(
        new Subject("SimpleRnn", () -> new SimpleRnn(F, 4, SimpleRnn.Nonlinearity.TANH, new Rng(1)), 4, true),
        new Subject("Lstm", () -> new Lstm(F, 4, new Rng(1)), 4, true),
        new Subject("Lstm with projection", () -> new Lstm(F, 4, Lstm.Options.defaults().withProjection(2), new Rng(1)),
            2, true),
        new Subject("Gru", () -> new Gru(F, 4, new Rng(1)), 4, true),
        new Subject("JordanRnn", () -> new JordanRnn(F, 4, 2, JordanRnn.OutputActivation.TANH, new Rng(1)), 2, true),
        new Subject("Bidirectional", () -> new Bidirectional(new Gru(F, 4, new Rng(1))), 8, true),
        new Subject("StackedRnn", () -> new StackedRnn(new Lstm(F, 4, new Rng(1)), 2, false, 0f, new Rng(2)), 4, true),
        new Subject("Sequential", () -> new Sequential(new Lstm(F, 4, new Rng(1)), new Linear(4, 2, true, new Rng(2))),
            2, true),
        new Subject("SequencePooling", SequencePooling::mean, F, false),
        new Subject("AttentionPooling", () -> new AttentionPooling(F, new Rng(1)), F, false),
        new Subject("MultiHeadAttention", () -> selfAttention(new MultiHeadAttention(4, 2, new Rng(1))), 4, true));
  }

  /** Self-attention with padding as a sequence layer: forward(x, x, x, lengths, lengths). */
  static SequenceLayer selfAttention(MultiHeadAttention attention) {
    return new SequenceLayer() {
      @Override
      public Tensor forward(Tensor x, int[] lengths) {
        return attention.forward(x, x, x, lengths, lengths, false);
      }

      @Override
      public Tensor backward(Tensor dy) {
        return attention.backward(dy);
      }

      @Override
      public List<Parameter> parameters() {
        return attention.parameters();
      }

      @Override
      public String toString() {
        return attention.toString();
      }
    };
  }

  @TestFactory
  Stream<DynamicContainer> everyLayerRejectsBadInputsWithAMessageThatSaysWhatIsWrong() {
    return subjects().stream().map(s -> {
      int f = s.name().equals("MultiHeadAttention") ? 4 : F;
      return DynamicContainer.dynamicContainer(s.name(), Stream.of(
          DynamicTest.dynamicTest("null input", () -> {
            SequenceLayer layer = s.make().get();
            assertThatThrownBy(() -> layer.forward(null, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(layer.toString()).hasMessageContaining("null");
          }),
          DynamicTest.dynamicTest("wrong rank", () -> {
            SequenceLayer layer = s.make().get();
            assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, f), null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(layer.toString()).hasMessageContaining("[2, " + f + "]");
          }),
          DynamicTest.dynamicTest("wrong feature size", () -> {
            SequenceLayer layer = s.make().get();
            if (s.name().equals("SequencePooling")) {
              return; // pooling takes any feature size
            }
            assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 3, f + 1), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(layer.toString())
                .hasMessageContaining("[2, 3, " + (f + 1) + "]").hasMessageContaining(String.valueOf(f));
          }),
          DynamicTest.dynamicTest("lengths of the wrong count", () -> {
            SequenceLayer layer = s.make().get();
            assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 3, f), new int[] {3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(layer.toString())
                .hasMessageContaining("2").hasMessageContaining("1");
          }),
          DynamicTest.dynamicTest("a length past the sequence", () -> {
            SequenceLayer layer = s.make().get();
            assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 3, f), new int[] {3, 4}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(layer.toString())
                .hasMessageContaining("4");
          }),
          DynamicTest.dynamicTest("a negative length", () -> {
            SequenceLayer layer = s.make().get();
            assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 3, f), new int[] {-1, 2}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(layer.toString())
                .hasMessageContaining("-1");
          }),
          DynamicTest.dynamicTest("backward before forward", () -> {
            SequenceLayer layer = s.make().get();
            assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 3, s.outFeatures())))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(layer.toString())
                .hasMessageContaining("before forward");
          }),
          DynamicTest.dynamicTest("a gradient of the wrong shape", () -> {
            SequenceLayer layer = s.make().get();
            layer.forward(Tensor.zeros(2, 3, f), null);
            assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 3, s.outFeatures() + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(layer.toString())
                .hasMessageContaining("" + (s.outFeatures() + 1));
            assertThatThrownBy(() -> layer.backward(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(layer.toString());
          }),
          DynamicTest.dynamicTest("an empty batch is valid", () -> {
            SequenceLayer layer = s.make().get();
            Tensor y = layer.forward(Tensor.zeros(0, 3, f), new int[0]);
            int[] expected = s.keepsTime() ? new int[] {0, 3, s.outFeatures()} : new int[] {0, s.outFeatures()};
            assertThat(y.shape()).containsExactly(expected);
            assertThat(layer.backward(Tensor.zeros(expected)).shape()).containsExactly(0, 3, f);
          })));
    });
  }

  record Case(String name, Object owner, org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String... says) {}

  static List<Case> otherEntryPoints() {
    Rng rng = new Rng(3);
    Linear linear = new Linear(3, 2, true, rng);
    Embedding embedding = new Embedding(5, 2, rng);
    Activation tanh = new Activation(Activation.Kind.TANH);
    Dropout dropout = new Dropout(0.5, rng);
    LstmCell cell = new LstmCell(3, 4, rng);
    Attention attention = Attention.general(4, 4, rng);
    RecurrentStream stream = new Gru(3, 4, rng).newStream();
    Seq2Seq seq2seq = new Seq2Seq(6, 7, 4, 8, Seq2Seq.CellType.GRU, Seq2Seq.Style.LUONG, Attention.Score.DOT, 5, 6, rng);
    MultiHeadAttention mha = new MultiHeadAttention(4, 2, rng);
    Lstm lstm = new Lstm(3, 4, rng);
    return List.of(
        new Case("Linear null", linear, () -> linear.forward(null), "null"),
        new Case("Linear wrong features", linear, () -> linear.forward(Tensor.zeros(2, 4)), "3", "[2, 4]"),
        new Case("Linear.infer wrong features", linear, () -> linear.infer(Tensor.zeros(2, 2, 5)), "3", "[2, 2, 5]"),
        new Case("Embedding id too large", embedding, () -> embedding.forward(new int[] {1, 5}, 1, 2), "5"),
        new Case("Embedding negative id", embedding, () -> embedding.infer(new int[] {-1}, 1, 1), "-1"),
        new Case("Embedding null ids", embedding, () -> embedding.forward((int[][]) null), "null"),
        new Case("Embedding ids and shape disagree", embedding, () -> embedding.forward(new int[] {1, 2, 3}, 2, 2),
            "3", "[2, 2]"),
        new Case("Activation null", tanh, () -> tanh.forward(null), "null"),
        new Case("Activation backward of the wrong shape", tanh, () -> {
          tanh.forward(Tensor.zeros(2, 3));
          tanh.backward(Tensor.zeros(3, 2));
        }, "[2, 3]", "[3, 2]"),
        new Case("Dropout null", dropout, () -> dropout.forward(null), "null"),
        new Case("cell wrong input", cell, () -> cell.forward(Tensor.zeros(2, 5), null), "3", "[2, 5]"),
        new Case("cell state of another batch", cell,
            () -> cell.forward(Tensor.zeros(2, 3), new RnnState(Tensor.zeros(3, 4), Tensor.zeros(3, 4))), "2", "[3, 4]"),
        new Case("attention keys of another batch", attention,
            () -> attention.attend(Tensor.zeros(2, 4), Tensor.zeros(3, 5, 4), Tensor.zeros(3, 5, 4), null), "2", "3"),
        new Case("attention null query", attention,
            () -> attention.attend(null, Tensor.zeros(2, 5, 4), Tensor.zeros(2, 5, 4), null), "null"),
        new Case("attention over no keys", attention,
            () -> attention.attend(Tensor.zeros(1, 4), Tensor.zeros(1, 5, 4), Tensor.zeros(1, 5, 4), new int[] {0}),
            "no keys"),
        new Case("multi-head width", mha, () -> mha.forward(Tensor.zeros(2, 3, 5)), "4", "[2, 3, 5]"),
        new Case("stream step width", lstm, () -> lstm.newStream().step(new float[2]), "3", "2"),
        new Case("stream step null", "Gru", () -> stream.step(null), "null"),
        new Case("lstm initial state of another batch", lstm,
            () -> lstm.forward(Tensor.zeros(2, 3, 3), null, new RnnState(Tensor.zeros(1, 3, 4), null)), "[1, 3, 4]"),
        new Case("seq2seq source id out of range", seq2seq, () -> seq2seq.trainingLoss(new int[][] {{1, 9}},
            new int[][] {{1}}), "source 0 has the id 9 at position 1, outside the vocabulary [0, 6)"),
        new Case("seq2seq target id out of range", seq2seq, () -> seq2seq.trainingLoss(new int[][] {{1}},
            new int[][] {{7}}), "target 0 has the id 7 at position 0, outside the vocabulary [0, 7)"),
        new Case("seq2seq empty batch", seq2seq, () -> seq2seq.trainingLoss(new int[0][], new int[0][]), "at least one", "got 0 and 0"),
        new Case("seq2seq null source", seq2seq, () -> seq2seq.greedy(null, 5), "null"),
        new Case("seq2seq beam source out of range", seq2seq, () -> seq2seq.beamSearch(new int[] {6}, 2, 5), "id 6"),
        new Case("seq2seq beam width", seq2seq, () -> seq2seq.beamSearch(new int[] {1}, 0, 5), "0"));
  }

  @TestFactory
  Stream<DynamicTest> everyOtherEntryPointRejectsBadInputsAtTheDoor() {
    return otherEntryPoints().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      Throwable t = org.assertj.core.api.Assertions.catchThrowable(c.call());
      assertThat(t).as(c.name()).isInstanceOf(IllegalArgumentException.class);
      String owner = c.owner() instanceof String name ? name : c.owner().toString();
      assertThat(t.getMessage()).as(c.name()).contains(owner).contains(c.says());
    }));
  }
}
