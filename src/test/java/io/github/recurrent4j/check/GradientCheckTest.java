package io.github.recurrent4j.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.kernel.Gemm;
import io.github.recurrent4j.nn.Layer;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientCheckTest {
  /** y = tanh(x · Wᵀ), with a backward that can be broken on purpose in one of three ways. */
  static final class TanhLayer implements Layer {
    enum Bug { NONE, FORGETS_DERIVATIVE, TRANSPOSED_WEIGHT_GRAD, SMALL_INPUT_GRAD_ERROR }

    final Parameter weight; // (2, 3)
    final Bug bug;
    Tensor input;
    Tensor output;

    TanhLayer(Bug bug, Rng rng) {
      this.bug = bug;
      this.weight = new Parameter("weight", Init.normal(Tensor.zeros(3, 3), 0, 0.7, rng));
    }

    @Override
    public Tensor forward(Tensor x) {
      input = x;
      output = Gemm.matmul(x, false, weight.value(), true);
      for (int i = 0; i < output.size(); i++) {
        output.data()[i] = (float) Math.tanh(output.data()[i]);
      }
      return output;
    }

    @Override
    public Tensor backward(Tensor dy) {
      Tensor dz = dy.copy();
      if (bug != Bug.FORGETS_DERIVATIVE) {
        for (int i = 0; i < dz.size(); i++) {
          float y = output.data()[i];
          dz.data()[i] *= 1 - y * y;
        }
      }
      Tensor dw = bug == Bug.TRANSPOSED_WEIGHT_GRAD ? Gemm.matmul(input, true, dz, false)
          : Gemm.matmul(dz, true, input, false);
      for (int i = 0; i < dw.size(); i++) {
        weight.grad().data()[i] += dw.data()[i];
      }
      Tensor dx = Gemm.matmul(dz, false, weight.value(), false);
      if (bug == Bug.SMALL_INPUT_GRAD_ERROR) {
        dx.data()[1] *= 1.05f;
      }
      return dx;
    }

    @Override
    public List<Parameter> parameters() {
      return List.of(weight);
    }
  }

  @Test
  void passesOnLinearAndOnACorrectHandWrittenLayer() {
    Rng rng = new Rng(5);
    GradientCheck.Result linear = GradientCheck.check(new Linear(4, 3, true, rng),
        Init.normal(Tensor.zeros(2, 4), 0, 1, rng)).requirePassed();
    assertThat(linear.elementsChecked()).isEqualTo(8 + 12 + 3);
    assertThat(linear.worstElementError()).isLessThan(1e-2);
    GradientCheck.check(new TanhLayer(TanhLayer.Bug.NONE, rng), Init.normal(Tensor.zeros(4, 3), 0, 1, rng))
        .requirePassed();
  }

  @Test
  void catchesEveryDeliberatelyBrokenBackwardAndSaysWhere() {
    for (TanhLayer.Bug bug : new TanhLayer.Bug[] {TanhLayer.Bug.FORGETS_DERIVATIVE, TanhLayer.Bug.TRANSPOSED_WEIGHT_GRAD,
        TanhLayer.Bug.SMALL_INPUT_GRAD_ERROR}) {
      Rng rng = new Rng(6);
      TanhLayer layer = new TanhLayer(bug, rng);
      GradientCheck.Result result = GradientCheck.check(layer, Init.normal(Tensor.zeros(4, 3), 0, 1, rng));
      assertThat(result.passed()).as(bug + ": " + result).isFalse();
      assertThatThrownBy(result::requirePassed).isInstanceOf(AssertionError.class)
          .hasMessageStartingWith("gradient check failed: worst element error");
      if (bug == TanhLayer.Bug.SMALL_INPUT_GRAD_ERROR) {
        assertThat(result.worstElement()).isEqualTo("input[0, 1]");
      }
      if (bug == TanhLayer.Bug.TRANSPOSED_WEIGHT_GRAD) {
        assertThat(result.worstElement()).startsWith("weight[");
      }
    }
  }

  @Test
  void samplesLargeTensorsAndStillChecksDirections() {
    Rng rng = new Rng(8);
    GradientCheck.Options options = GradientCheck.Options.defaults();
    options = options.withMaxElementsPerTensor(10).withDirections(3).withSeed(99);
    GradientCheck.Result r = GradientCheck.check(new Linear(30, 20, true, rng),
        Init.normal(Tensor.zeros(5, 30), 0, 1, rng), options).requirePassed();
    assertThat(r.elementsChecked()).isEqualTo(30);
    assertThat(r.directionsChecked()).isEqualTo(3);
  }

  @Test
  void optionsRejectNonsense() {
    assertThatThrownBy(() -> new GradientCheck.Options(0, 1e-2, 1e-3, 10, 1, 1, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("GradientCheck.Options: epsilon, tolerance and floor must be positive, got epsilon=0.0,"
            + " tolerance=0.01, floor=0.001");
  }
}
