package io.github.recurrent4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TensorTest {
  @Test
  void ofWrapsTheArrayAndDataIsLive() {
    float[] data = {1, 2, 3, 4, 5, 6};
    Tensor t = Tensor.of(data, 2, 3);
    assertThat(t.data()).isSameAs(data);
    assertThat(t.shape()).containsExactly(2, 3);
    assertThat(t.get(1, 2)).isEqualTo(6f);
    t.data()[0] = 9;
    assertThat(t.get(0, 0)).isEqualTo(9f);
    t.set(7f, 1, 0);
    assertThat(data[3]).isEqualTo(7f);
  }

  @Test
  void reshapeSharesDataAndInfersOneDimension() {
    Tensor t = Tensor.zeros(2, 3, 4);
    Tensor view = t.reshape(6, -1);
    assertThat(view.shape()).containsExactly(6, 4);
    view.set(5f, 5, 3);
    assertThat(t.get(1, 2, 3)).isEqualTo(5f);
    assertThat(t.reshape(24).data()).isSameAs(t.data());
    assertThatThrownBy(() -> t.reshape(5, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Tensor.reshape: cannot reshape [2, 3, 4] (24 elements) into [5, -1]");
    assertThatThrownBy(() -> t.reshape(-1, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Tensor.reshape: only one dimension may be -1, got [-1, -1]");
    assertThatThrownBy(() -> t.reshape(4, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Tensor.reshape: cannot reshape [2, 3, 4] (24 elements) into [4, 5]");
  }

  @Test
  void indexingIsCheckedPerDimension() {
    Tensor t = Tensor.zeros(2, 3);
    assertThatThrownBy(() -> t.get(0, 3))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessage("Tensor: index [0, 3] is out of bounds for shape [2, 3] (dimension 1)");
    assertThatThrownBy(() -> t.get(-1, 0))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessage("Tensor: index [-1, 0] is out of bounds for shape [2, 3] (dimension 0)");
    assertThatThrownBy(() -> t.get(1))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessage("Tensor: index [1] has 1 coordinates but the tensor has rank 2 (shape [2, 3])");
    // [0, 3] and [1, 0] share a flat offset; only per-dimension checks catch the first.
    assertThat(t.offsetOf(1, 0)).isEqualTo(3);
    assertThat(t.indexOf(5)).containsExactly(1, 2);
    assertThat(t.dim(-1)).isEqualTo(3);
  }

  @Test
  void constructionRejectsBadShapes() {
    assertThatThrownBy(() -> Tensor.of(new float[5], 2, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Tensor.of: shape [2, 3] needs 6 elements but data has 5");
    assertThatThrownBy(() -> Tensor.zeros(2, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Tensor: negative dimension in shape [2, -1]");
    assertThatThrownBy(() -> Tensor.zeros(65536, 65536))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Tensor: shape [65536, 65536] has more elements than a Java array can hold");
    assertThat(Tensor.zeros(0, 1 << 30, 1 << 30).size()).isZero();
    assertThat(Tensor.scalar(3f).rank()).isZero();
    assertThat(Tensor.scalar(3f).get()).isEqualTo(3f);
  }

  @Test
  void copyIsDeepAndEqualityIsByShapeAndBits() {
    Tensor t = Tensor.of(new float[] {1, 2}, 2);
    Tensor c = t.copy();
    assertThat(c).isEqualTo(t).isNotSameAs(t);
    c.data()[0] = 5;
    assertThat(t.get(0)).isEqualTo(1f);
    assertThat(Tensor.of(new float[] {1, 2}, 1, 2)).isNotEqualTo(t);
    assertThatThrownBy(() -> t.copyFrom(Tensor.zeros(3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Tensor.copyFrom: shape [3] does not match [2]");
  }

  /** Every way to change the data raises the version, of the tensor and of its reshaped views; reads do not. */
  @Test
  void theVersionCountsEveryPossibleChange() {
    Tensor t = Tensor.zeros(2, 3);
    Tensor view = t.reshape(6);
    long v = t.version();
    t.get(1, 2);
    t.shape();
    t.copy();
    assertThat(t.version()).as("reads").isEqualTo(v);
    t.data();
    assertThat(t.version()).as("data()").isGreaterThan(v);
    v = t.version();
    t.fill(1f);
    assertThat(t.version()).as("fill").isGreaterThan(v);
    v = t.version();
    t.set(2f, 0, 1);
    assertThat(t.version()).as("set").isGreaterThan(v);
    v = t.version();
    t.copyFrom(Tensor.full(3f, 2, 3));
    assertThat(t.version()).as("copyFrom").isGreaterThan(v);
    v = t.version();
    view.data()[4] = 5f;
    assertThat(t.version()).as("a view's data()").isGreaterThan(v);
    assertThat(view.version()).isEqualTo(t.version());
    assertThat(Tensor.zeros(2, 3).version()).as("another tensor").isZero();
  }
}
