package io.github.recurrent4j.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.tensor.Tensor;
import io.github.recurrent4j.testing.Fixtures;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Learning rates after every step against torch.optim.lr_scheduler (tools/make_fixtures.py). */
class ScheduleTest {
  static final Map<String, Tensor> F = Fixtures.load("schedules.safetensors");

  static Sgd sgd() {
    return new Sgd(List.of(new Parameter("p", Tensor.zeros(1))), 0.1);
  }

  static void follows(String name, Function<Optimizer, Schedule> make) {
    Sgd opt = sgd();
    Schedule schedule = make.apply(opt);
    float[] expected = F.get(name).data();
    for (int i = 0; i < expected.length; i++) {
      if (i > 0) {
        schedule.step();
      }
      assertThat(opt.learningRate()).as("%s after %d steps", name, i).isCloseTo(expected[i], offset(1e-8));
    }
  }

  @Test
  void stepExponentialAndCosineWithWarmupMatchPyTorch() {
    follows("step_lr", o -> Schedule.stepDecay(o, 3, 0.5));
    follows("exponential_lr", o -> Schedule.exponential(o, 0.9));
    follows("cosine_warmup", o -> Schedule.cosineWithWarmup(o, 5, 0.1, 15, 0.001));
  }

  @Test
  void reduceOnPlateauMatchesPyTorch() {
    Sgd opt = sgd();
    ReduceOnPlateau plateau = new ReduceOnPlateau(opt, ReduceOnPlateau.Mode.MIN, 0.5, 2, 1e-4, 1, 0);
    float[] metrics = F.get("plateau_metrics").data();
    float[] expected = F.get("plateau").data();
    for (int i = 0; i < metrics.length; i++) {
      plateau.step(metrics[i]);
      assertThat(opt.learningRate()).as("after metric %d", i).isCloseTo(expected[i + 1], offset(1e-8));
    }
  }

  @Test
  void restoringTheStepCountRestoresTheRate() {
    Sgd a = sgd();
    Schedule s = Schedule.cosineWithWarmup(a, 5, 0.1, 15, 0.001);
    for (int i = 0; i < 7; i++) {
      s.step();
    }
    Sgd b = sgd();
    Schedule.cosineWithWarmup(b, 5, 0.1, 15, 0.001).restore(s.steps());
    assertThat(b.learningRate()).isEqualTo(a.learningRate());
    assertThatThrownBy(() -> Schedule.stepDecay(sgd(), 0, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Schedule.stepDecay: every must be >= 1 and gamma > 0, got every=0, gamma=0.5");
  }
}
