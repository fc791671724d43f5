package io.github.recurrent4j.loss;

import static io.github.recurrent4j.testing.Assertions2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.optim.Clipping;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LossParityTest {
  static final Map<String, Tensor> F = Fixtures.load("losses.safetensors");

  static void check(String name, double loss, Tensor grad) {
    assertThat(loss).as(name + " loss").isCloseTo(Fixtures.get(F, name, "loss").data()[0], offset(1e-5));
    assertClose(name + " grad", grad, Fixtures.get(F, name, "grad"), 1e-6, 1e-5);
  }

  @Test
  void crossEntropyMeanSumIgnoreIndexAndLabelSmoothingMatchPyTorch() {
    int[] targets = Fixtures.ids(Fixtures.get(F, "ce_mean", "targets"));
    CrossEntropy mean = new CrossEntropy();
    check("ce_mean", mean.forward(Fixtures.get(F, "ce_mean", "logits"), targets), mean.backward());
    CrossEntropy sum = new CrossEntropy(CrossEntropy.Options.defaults().withReduction(Reduction.SUM));
    check("ce_sum", sum.forward(Fixtures.get(F, "ce_sum", "logits"), targets), sum.backward());
    CrossEntropy smooth = new CrossEntropy(CrossEntropy.Options.defaults().withIgnoreIndex(2).withLabelSmoothing(0.1));
    check("ce_ignore_smooth", smooth.forward(Fixtures.get(F, "ce_ignore_smooth", "logits"), targets),
        smooth.backward());
  }

  @Test
  void crossEntropyWithClassWeightsMatchesPyTorchAloneAndWithIgnoreIndexSmoothingAndSum() {
    int[] targets = Fixtures.ids(Fixtures.get(F, "ce_mean", "targets"));
    Tensor logits = Fixtures.get(F, "ce_mean", "logits");
    float[] weights = F.get("ce_weights").data();
    CrossEntropy.Options weighted = CrossEntropy.Options.defaults().withClassWeights(weights);
    CrossEntropy plain = new CrossEntropy(weighted);
    check("ce_weighted", plain.forward(logits, targets), plain.backward());
    CrossEntropy smooth = new CrossEntropy(weighted.withIgnoreIndex(2).withLabelSmoothing(0.2));
    check("ce_weighted_ignore_smooth", smooth.forward(logits, targets), smooth.backward());
    CrossEntropy sum = new CrossEntropy(weighted.withReduction(Reduction.SUM).withLabelSmoothing(0.1));
    check("ce_weighted_sum_smooth", sum.forward(logits, targets), sum.backward());
    weights[0] = 1e6f;
    assertThat(weighted.classWeights()).as("the options keep their own copy").doesNotContain(1e6f);
  }

  @Test
  void classWeightsOfTheWrongCountOrNegativeAreRejected() {
    CrossEntropy ce = new CrossEntropy(CrossEntropy.Options.defaults().withClassWeights(new float[] {1, 2, 3}));
    assertThatThrownBy(() -> ce.forward(Tensor.zeros(2, 5), new int[] {0, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CrossEntropy: 3 class weights for logits with 5 classes [2, 5]");
    assertThatThrownBy(() -> CrossEntropy.Options.defaults().withClassWeights(new float[] {1, -1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CrossEntropy.Options: class weights must be finite and >= 0, got -1.0 for class 1");
    assertThatThrownBy(() -> CrossEntropy.Options.defaults().withClassWeights(new float[] {Float.NaN}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got NaN for class 0");
  }

  @Test
  void perStepCrossEntropyWithLengthsMatchesPyTorchIgnoringPaddedSteps() {
    CrossEntropy ce = new CrossEntropy(CrossEntropy.Options.defaults().withLabelSmoothing(0.05));
    int[] targets = Fixtures.ids(Fixtures.get(F, "ce_steps", "targets"));
    int[] lengths = Fixtures.ids(Fixtures.get(F, "ce_steps", "lengths"));
    check("ce_steps", ce.forward(Fixtures.get(F, "ce_steps", "logits"), targets, lengths), ce.backward());
  }

  @Test
  void binaryCrossEntropyWithLogitsMatchesPyTorchAndStaysFinite() {
    BinaryCrossEntropyWithLogits bce = new BinaryCrossEntropyWithLogits();
    check("bce", bce.forward(Fixtures.get(F, "bce", "logits"), Fixtures.get(F, "bce", "targets")), bce.backward());
    double extreme = bce.forward(Tensor.of(new float[] {1e4f, -1e4f}, 2), Tensor.of(new float[] {0, 1}, 2));
    assertThat(extreme).isCloseTo(1e4, offset(1e-3));
    assertThat(bce.backward().data()).containsExactly(0.5f, -0.5f);
  }

  @Test
  void binaryCrossEntropyWithPosWeightMatchesPyTorchForMeanAndSum() {
    Tensor logits = Fixtures.get(F, "bce", "logits");
    Tensor targets = Fixtures.get(F, "bce", "targets");
    float[] posWeight = F.get("bce_pos_weight").data();
    BinaryCrossEntropyWithLogits mean = new BinaryCrossEntropyWithLogits(Reduction.MEAN, posWeight);
    check("bce_pos_mean", mean.forward(logits, targets), mean.backward());
    BinaryCrossEntropyWithLogits sum = new BinaryCrossEntropyWithLogits(Reduction.SUM, posWeight);
    check("bce_pos_sum", sum.forward(logits, targets), sum.backward());
    assertThatThrownBy(() -> mean.forward(Tensor.zeros(2, 3), Tensor.zeros(2, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("BinaryCrossEntropyWithLogits: 4 pos_weight values for logits with 3 classes (last dimension) [2, 3]");
    assertThatThrownBy(() -> new BinaryCrossEntropyWithLogits(Reduction.MEAN, new float[] {1, Float.NaN}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("BinaryCrossEntropyWithLogits: pos_weight must be finite and >= 0, got NaN for class 1");
  }

  @Test
  void theMeanOverNoElementsIsNaNAsInPyTorchAndTheSumZero() {
    Tensor none = Tensor.zeros(0, 3);
    assertThat(new MeanSquaredError().forward(none, none)).isNaN();
    assertThat(new BinaryCrossEntropyWithLogits().forward(none, none)).isNaN();
    assertThat(new MeanSquaredError(Reduction.SUM).forward(none, none)).isZero();
    assertThat(new BinaryCrossEntropyWithLogits(Reduction.SUM).forward(none, none)).isZero();
  }

  @Test
  void clipByGlobalNormMatchesPyTorch() {
    Parameter p1 = new Parameter("p1", Tensor.zeros(3, 2));
    Parameter p2 = new Parameter("p2", Tensor.zeros(4));
    p1.grad().copyFrom(F.get("clip.grad1"));
    p2.grad().copyFrom(F.get("clip.grad2"));
    double norm = Clipping.clipGradNorm(List.of(p1, p2), 0.5);
    assertThat(norm).isCloseTo(F.get("clip.norm").data()[0], offset(1e-5));
    assertClose("clipped 1", p1.grad(), F.get("clip.clipped1"), 1e-6, 1e-5);
    assertClose("clipped 2", p2.grad(), F.get("clip.clipped2"), 1e-6, 1e-5);
    Clipping.clipGradValue(List.of(p1), 0.01);
    for (float g : p1.grad().data()) {
      assertThat(Math.abs(g)).isLessThanOrEqualTo(0.01f);
    }
  }

  @Test
  void badTargetsAndShapesAreReported() {
    CrossEntropy ce = new CrossEntropy();
    assertThatThrownBy(() -> ce.forward(Tensor.zeros(2, 3), new int[] {0, 3}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CrossEntropy: target 3 at position 1 is out of range [0, 3)");
    assertThatThrownBy(() -> ce.forward(Tensor.zeros(2, 3), new int[] {0}))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("CrossEntropy: logits [2, 3] need 2 targets, got 1");
    assertThatThrownBy(() -> ce.forward(Tensor.zeros(2, 3), new int[] {0, 1}, new int[] {1, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CrossEntropy: lengths need logits [B, T, C], got [2, 3]");
    assertThatThrownBy(() -> ce.forward(Tensor.zeros(1, 2, 3), new int[] {0, 1}, new int[] {3}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CrossEntropy: lengths[0] = 3 is out of range [0, 2]");
    assertThatThrownBy(() -> new BinaryCrossEntropyWithLogits().forward(Tensor.zeros(2), Tensor.zeros(2, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("BinaryCrossEntropyWithLogits: logits of shape [2] and targets of shape [2, 1] differ;"
            + " nothing is broadcast");
    // Ignored targets may be out of range, as in PyTorch.
    assertThat(new CrossEntropy(CrossEntropy.Options.defaults().withIgnoreIndex(-100))
        .forward(Tensor.zeros(2, 3), new int[] {-100, 1})).isCloseTo(Math.log(3), offset(1e-6));
  }
}
