package io.github.recurrent4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AttentiveTaggerTest {
  @Test
  void gradientsPassAFiniteDifferenceCheckWithPadding() {
    AttentiveTagger tagger = new AttentiveTagger(3, 4, 2, 5, new Rng(1));
    Parameter x = new Parameter("x", Init.normal(Tensor.zeros(2, 4, 3), 0, 1, new Rng(2)));
    int[] lengths = {4, 2};
    List<Parameter> variables = new ArrayList<>(List.of(x));
    variables.addAll(tagger.parameters());
    assertThat(tagger.parameters()).extracting(Parameter::name).contains("gru.weight_ih_l0_reverse",
        "attention.in_proj_weight", "output.weight");
    GradientCheck.check(GradientCheck.Function.of(variables, () -> {
      Tensor y = tagger.forward(x.value(), lengths).copy();
      // padded steps are not predictions: zero them here, as the loss ignores them
      java.util.Arrays.fill(y.data(), (4 + 2) * 5, 8 * 5, 0f);
      return y;
    }, g -> {
      Tensor masked = g.copy();
      java.util.Arrays.fill(masked.data(), (4 + 2) * 5, 8 * 5, 0f);
      x.accumulateGrad(tagger.backward(masked));
    }), GradientCheck.Options.defaults()).requirePassed();
  }
}
