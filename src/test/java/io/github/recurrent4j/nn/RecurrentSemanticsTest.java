package io.github.recurrent4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.kernel.Parallel;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What every recurrent layer promises about lengths, states and misuse. */
class RecurrentSemanticsTest {
  static List<Function<Rng, RecurrentLayer>> layers() {
    return List.of(rng -> new SimpleRnn(3, 4, SimpleRnn.Nonlinearity.TANH, rng), rng -> new Lstm(3, 4, rng),
        rng -> new Gru(3, 4, rng));
  }

  @ParameterizedTest
  @MethodSource("layers")
  void paddedStepsAreZeroAndChangeNothingAndZeroLengthKeepsTheInitialState(Function<Rng, RecurrentLayer> make) {
    Rng rng = new Rng(3);
    RecurrentLayer layer = make.apply(rng);
    Tensor x = Init.normal(Tensor.zeros(3, 5, 3), 0, 1, rng);
    int[] lengths = {5, 2, 0};
    Tensor h0 = Init.normal(Tensor.zeros(1, 3, 4), 0, 1, rng);
    Tensor c0 = layer instanceof Lstm ? Init.normal(Tensor.zeros(1, 3, 4), 0, 1, rng) : null;
    Tensor y = layer.forward(x, lengths, new RnnState(h0, c0));
    RnnState fin = layer.finalState();
    float[] y1 = y.data().clone();
    // Outputs past a row's length are zero.
    for (int t = 2; t < 5; t++) {
      for (int j = 0; j < 4; j++) {
        assertThat(y.get(1, t, j)).isZero();
        assertThat(y.get(2, t, j)).isZero();
      }
    }
    // A zero-length row ends in its initial state.
    for (int j = 0; j < 4; j++) {
      assertThat(fin.h().get(0, 2, j)).isEqualTo(h0.get(0, 2, j));
      if (c0 != null) {
        assertThat(fin.c().get(0, 2, j)).isEqualTo(c0.get(0, 2, j));
      }
    }
    // The final state of row 1 is its output at its last valid step.
    for (int j = 0; j < 4; j++) {
      assertThat(fin.h().get(0, 1, j)).isEqualTo(y.get(1, 1, j));
    }
    // Garbage in padded steps changes nothing, forward or backward.
    Tensor dy = Init.normal(Tensor.zeros(3, 5, 4), 0, 1, rng);
    Tensor dx1 = layer.backward(dy);
    float[] grads1 = layer.weightHh().grad().data().clone();
    Tensor x2 = x.copy();
    for (int t = 2; t < 5; t++) {
      for (int i = 0; i < 3; i++) {
        x2.set(50f, 1, t, i);
        x2.set(-50f, 2, t, i);
      }
    }
    layer.zeroGrad();
    Tensor y2 = layer.forward(x2, lengths, new RnnState(h0, c0));
    assertThat(y2.data()).containsExactly(y1);
    Tensor dx2 = layer.backward(dy);
    assertThat(dx2.data()).containsExactly(dx1.data());
    assertThat(layer.weightHh().grad().data()).containsExactly(grads1);
    // Padded steps get no input gradient.
    for (int t = 2; t < 5; t++) {
      assertThat(dx2.get(1, t, 0)).isZero();
    }
  }

  @ParameterizedTest
  @MethodSource("layers")
  void misuseIsReportedWithTheLayerWhatWasExpectedAndWhatCame(Function<Rng, RecurrentLayer> make) {
    RecurrentLayer layer = make.apply(new Rng(1));
    String name = layer.toString();
    assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 5, 4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": expected input [batch, time, 3], got [2, 5, 4]");
    assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": expected input [batch, time, 3], got [2, 3]");
    assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 5, 3), new int[] {5}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": expected 2 lengths (one per batch row), got 1");
    assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 5, 3), new int[] {5, 6}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": lengths[1] = 6 is out of range [0, 5]");
    assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 5, 3), new int[] {-1, 2}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": lengths[0] = -1 is out of range [0, 5]");
    assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 5, 3), null, RnnState.of(Tensor.zeros(2, 4))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": expected initial state h of shape [1, 2, 4], got [2, 4]");
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 5, 4)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(name + ": backward called before forward");
    assertThatThrownBy(layer::finalState)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(name + ": finalState() called before forward");
    layer.forward(Tensor.zeros(2, 5, 3));
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 4, 4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": expected gradOutput of shape [2, 5, 4], got [2, 4, 4]");
    assertThatThrownBy(layer::initialStateGrad)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(name + ": initialStateGrad() called before backward");
    if (!(layer instanceof Lstm)) {
      assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 5, 3), null,
          new RnnState(Tensor.zeros(1, 2, 4), Tensor.zeros(1, 2, 4))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(name + ": initial state has a cell state c, but this layer has none");
    }
  }

  @ParameterizedTest
  @MethodSource("layers")
  void emptyBatchAndZeroStepsWork(Function<Rng, RecurrentLayer> make) {
    RecurrentLayer layer = make.apply(new Rng(2));
    assertThat(layer.forward(Tensor.zeros(0, 4, 3)).shape()).containsExactly(0, 4, 4);
    assertThat(layer.backward(Tensor.zeros(0, 4, 4)).shape()).containsExactly(0, 4, 3);
    Tensor y = layer.forward(Tensor.zeros(2, 0, 3));
    assertThat(y.shape()).containsExactly(2, 0, 4);
    assertThat(layer.finalState().h().data()).containsOnly(0f);
  }

  @ParameterizedTest
  @MethodSource("layersWithProjection")
  void outVariantsGiveTheSameBitsInTheCallersTensorsOverwritingWhatWasThere(Function<Rng, RecurrentLayer> make) {
    Rng rng = new Rng(9);
    Tensor x = Init.normal(Tensor.zeros(3, 5, 3), 0, 1, rng);
    int[] lengths = {5, 2, 0};
    RecurrentLayer fresh = make.apply(new Rng(4));
    RecurrentLayer into = make.apply(new Rng(4));
    int p = fresh.outputSize();
    Tensor dy = Init.normal(Tensor.zeros(3, 5, p), 0, 1, rng);
    Tensor out = Tensor.full(Float.NaN, 3, 5, p);
    Tensor dxOut = Tensor.full(Float.NaN, 3, 5, 3);
    for (int pass = 0; pass < 2; pass++) { // the second pass writes over the first's numbers
      Tensor y = fresh.forward(x, lengths, null);
      assertThat(into.forward(x, lengths, null, out)).isSameAs(out);
      assertThat(out.data()).containsExactly(y.data()); // padded steps too: zero, not NaN
      Tensor dx = fresh.backward(dy, null);
      assertThat(into.backward(dy, null, dxOut)).isSameAs(dxOut);
      assertThat(dxOut.data()).containsExactly(dx.data());
      for (int i = 0; i < fresh.parameters().size(); i++) {
        assertThat(into.parameters().get(i).grad().data()).containsExactly(fresh.parameters().get(i).grad().data());
      }
      assertThat(into.finalState().h().data()).containsExactly(fresh.finalState().h().data());
      assertThat(into.initialStateGrad().h().data()).containsExactly(fresh.initialStateGrad().h().data());
      x = Init.normal(Tensor.zeros(3, 5, 3), 0, 1, rng);
    }
  }

  @ParameterizedTest
  @MethodSource("layers")
  void statesAskedForLaterAreThoseOfTheLatestPassAndStayPut(Function<Rng, RecurrentLayer> make) {
    Rng rng = new Rng(5);
    RecurrentLayer layer = make.apply(rng);
    Tensor x1 = Init.normal(Tensor.zeros(2, 4, 3), 0, 1, rng);
    Tensor x2 = Init.normal(Tensor.zeros(2, 4, 3), 0, 1, rng);
    Tensor y1 = layer.forward(x1);
    layer.backward(Tensor.full(1f, 2, 4, 4));
    RnnState final1 = layer.finalState();
    RnnState initialGrad1 = layer.initialStateGrad();
    float[] h1 = final1.h().data().clone();
    float[] dh1 = initialGrad1.h().data().clone();
    assertThat(h1).containsExactly(y1.get(0, 3, 0), y1.get(0, 3, 1), y1.get(0, 3, 2), y1.get(0, 3, 3),
        y1.get(1, 3, 0), y1.get(1, 3, 1), y1.get(1, 3, 2), y1.get(1, 3, 3));
    Tensor y2 = layer.forward(x2);
    assertThatThrownBy(layer::initialStateGrad)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(layer + ": initialStateGrad() called before backward");
    layer.backward(Tensor.full(-2f, 2, 4, 4));
    assertThat(final1.h().data()).containsExactly(h1); // what was handed out is a copy
    assertThat(initialGrad1.h().data()).containsExactly(dh1);
    assertThat(layer.finalState().h().get(0, 1, 3)).isEqualTo(y2.get(1, 3, 3));
    assertThat(java.util.Arrays.equals(layer.initialStateGrad().h().data(), dh1)).isFalse();
  }

  @ParameterizedTest
  @MethodSource("layers")
  void outVariantsRejectWrongShapesAndSharedArrays(Function<Rng, RecurrentLayer> make) {
    RecurrentLayer layer = make.apply(new Rng(1));
    String name = layer.toString();
    Tensor x = Tensor.zeros(2, 5, 3);
    assertThatThrownBy(() -> layer.forward(x, null, null, Tensor.zeros(2, 5, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": expected out of shape [2, 5, 4], got [2, 5, 3]");
    assertThatThrownBy(() -> layer.forward(x, null, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": expected out of shape [2, 5, 4], got null");
    assertThatThrownBy(() -> layer.forward(Tensor.zeros(2, 5), null, null, Tensor.zeros(2, 5, 4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": expected input [batch, time, 3], got [2, 5]");
    RecurrentLayer square = make.apply(new Rng(1)) instanceof Lstm ? new Lstm(4, 4, new Rng(1))
        : new SimpleRnn(4, 4, SimpleRnn.Nonlinearity.TANH, new Rng(1));
    Tensor x4 = Tensor.zeros(2, 5, 4);
    assertThatThrownBy(() -> square.forward(x4, null, null, x4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(square + ": out must not share its array with the input x");
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 5, 4), null, Tensor.zeros(2, 5, 3)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(name + ": backward called before forward");
    layer.forward(x, null, null, Tensor.zeros(2, 5, 4));
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 5, 4), null, Tensor.zeros(2, 5, 4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": expected dxOut of shape [2, 5, 3], got [2, 5, 4]");
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 5, 4), null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": dxOut is null (use backward(gradOutput, gradFinal) for a new tensor)");
    assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 5, 4), null, x))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(name + ": dxOut must not share its array with the forward's input or with gradOutput");
    square.forward(x4);
    assertThatCode(() -> square.backward(x4.copy(), null, x4.copy())).doesNotThrowAnyException();
    Tensor g = Tensor.zeros(2, 5, 4);
    assertThatThrownBy(() -> square.backward(g, null, g))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(square + ": dxOut must not share its array with the forward's input or with gradOutput");
  }

  /**
   * The bias gradients' column sums: split across two threads they give the bits of one thread,
   * and both equal the sums in double, for widths that do and do not fill whole chunks of 16.
   */
  @Test
  void columnSumsSplitAcrossThreadsGiveTheBitsOfOneThread() {
    int before = Parallel.threads();
    Rng rng = new Rng(11);
    try {
      for (int[] shape : new int[][] {{2048, 384}, {700, 130}, {5000, 33}, {3, 5}, {9000, 130}}) {
        int rows = shape[0];
        int cols = shape[1];
        int ldx = cols + 3;
        float[] x = new float[2 + rows * ldx];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) rng.nextGaussian();
        }
        float[][] out = new float[2][cols + 1];
        float[][] out2 = new float[2][cols + 1];
        for (int threads = 1; threads <= 2; threads++) {
          Parallel.setThreads(threads);
          java.util.Arrays.fill(out[threads - 1], 0.5f);
          RecurrentLayer.columnSums(x, 2, ldx, rows, cols, out[threads - 1], 1, out2[threads - 1]);
        }
        assertThat(out[1]).as("%d x %d", rows, cols).containsExactly(out[0]);
        assertThat(out2[1]).as("%d x %d, second output", rows, cols).containsExactly(out2[0]);
        for (int j = 0; j < cols; j++) {
          double sum = 0;
          for (int r = 0; r < rows; r++) {
            sum += x[2 + r * ldx + j];
          }
          assertThat((double) out2[0][1 + j]).as("column %d", j).isCloseTo(sum, org.assertj.core.data.Offset.offset(1e-4));
          assertThat(out[0][1 + j]).isEqualTo(0.5f + out2[0][1 + j]);
        }
        assertThat(out[0][0]).as("left of outOff").isEqualTo(0.5f);
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  static List<Function<Rng, RecurrentLayer>> layersWithProjection() {
    return List.of(rng -> new SimpleRnn(3, 4, SimpleRnn.Nonlinearity.TANH, rng), rng -> new Lstm(3, 4, rng),
        rng -> new Gru(3, 4, rng), rng -> new Lstm(3, 4, Lstm.Options.defaults().withProjection(2), rng),
        rng -> new Lstm(3, 4, Lstm.Options.defaults().withPeepholes(true), rng));
  }
}
