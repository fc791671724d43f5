package io.github.recurrent4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

class InitTest {
  static double[] meanAndStd(Tensor t) {
    double sum = 0;
    double sumSq = 0;
    for (float v : t.data()) {
      sum += v;
      sumSq += (double) v * v;
    }
    double mean = sum / t.size();
    return new double[] {mean, Math.sqrt(sumSq / t.size() - mean * mean)};
  }

  static double maxAbs(Tensor t) {
    double m = 0;
    for (float v : t.data()) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  @Test
  void uniformFamiliesRespectTheirBounds() {
    Rng rng = new Rng(1);
    Tensor w = Tensor.zeros(200, 300);
    Init.glorotUniform(w, rng);
    double glorot = Math.sqrt(6.0 / 500);
    assertThat(maxAbs(w)).isLessThanOrEqualTo(glorot).isGreaterThan(0.99 * glorot);
    Init.heUniform(w, rng);
    double he = Math.sqrt(6.0 / 300);
    assertThat(maxAbs(w)).isLessThanOrEqualTo(he).isGreaterThan(0.99 * he);
    Init.pytorchRnn(w, 64, rng);
    assertThat(maxAbs(w)).isLessThanOrEqualTo(0.125).isGreaterThan(0.124);
    Init.uniform(w, 2, 3, rng);
    assertThat(meanAndStd(w)[0]).isCloseTo(2.5, offset(0.01));
  }

  @Test
  void normalFamiliesHaveTheirStandardDeviation() {
    Rng rng = new Rng(2);
    Tensor w = Tensor.zeros(200, 300);
    Init.glorotNormal(w, rng);
    assertThat(meanAndStd(w)[1]).isCloseTo(Math.sqrt(2.0 / 500), offset(0.002));
    Init.heNormal(w, rng);
    assertThat(meanAndStd(w)[1]).isCloseTo(Math.sqrt(2.0 / 300), offset(0.002));
    Init.normal(w, 1, 3, rng);
    assertThat(meanAndStd(w)[0]).isCloseTo(1, offset(0.03));
    assertThat(meanAndStd(w)[1]).isCloseTo(3, offset(0.03));
  }

  @Test
  void orthogonalHasOrthonormalRowsOrColumns() {
    for (int[] shape : new int[][] {{8, 5}, {5, 8}, {6, 6}}) {
      Tensor w = Init.orthogonal(Tensor.zeros(shape), 2.0, new Rng(3));
      int rows = shape[0];
      int cols = shape[1];
      boolean byColumns = rows >= cols;
      int count = byColumns ? cols : rows;
      for (int a = 0; a < count; a++) {
        for (int b = 0; b < count; b++) {
          double dot = 0;
          for (int i = 0; i < (byColumns ? rows : cols); i++) {
            double x = byColumns ? w.get(i, a) : w.get(a, i);
            double y = byColumns ? w.get(i, b) : w.get(b, i);
            dot += x * y;
          }
          assertThat(dot).as("shape %dx%d pair %d,%d", rows, cols, a, b).isCloseTo(a == b ? 4.0 : 0.0, offset(1e-5));
        }
      }
    }
  }

  @Test
  void identityConstantAndZeros() {
    Tensor w = Init.identity(Tensor.zeros(2, 3));
    assertThat(w.data()).containsExactly(1, 0, 0, 0, 1, 0);
    assertThat(Init.constant(Tensor.zeros(3), 0.5f).data()).containsExactly(0.5f, 0.5f, 0.5f);
    assertThat(Init.zeros(Tensor.full(2f, 2)).data()).containsExactly(0f, 0f);
  }

  @Test
  void sameSeedSameWeights() {
    assertThat(Init.glorotUniform(Tensor.zeros(4, 4), new Rng(9)))
        .isEqualTo(Init.glorotUniform(Tensor.zeros(4, 4), new Rng(9)));
  }

  @Test
  void fansNeedRankTwo() {
    assertThatThrownBy(() -> Init.glorotUniform(Tensor.zeros(5), new Rng(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Init.glorotUniform: fan in and fan out need a tensor of rank >= 2, got shape [5]");
    assertThatThrownBy(() -> Init.identity(Tensor.zeros(2, 2, 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Init.identity: needs a rank-2 tensor, got shape [2, 2, 2]");
  }
}
