package io.github.recurrent4j.nn;

import io.github.recurrent4j.check.GradientCheck;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ActivationTest {
  @ParameterizedTest
  @EnumSource(value = Activation.Kind.class, names = {"TANH", "SIGMOID"})
  void gradientChecks(Activation.Kind kind) {
    GradientCheck.check(new Activation(kind), Init.normal(Tensor.zeros(3, 5), 0, 1, new Rng(80))).requirePassed();
  }
}
