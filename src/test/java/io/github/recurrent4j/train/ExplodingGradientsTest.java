package io.github.recurrent4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.loss.MeanSquaredError;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.SequencePooling;
import io.github.recurrent4j.nn.Sequential;
import io.github.recurrent4j.nn.SimpleRnn;
import io.github.recurrent4j.optim.Sgd;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A ReLU Elman network whose positive recurrent matrix has spectral radius 1.6 explodes: over T
 * steps its states and its gradient grow like 1.6^T. The task is to output x_T + x_{T-1} / 2.
 */
class ExplodingGradientsTest {
  record Batch(Tensor x, Tensor y) {}

  /** What always answering the mean scores: Var(x_T + x_{T-1}/2) = 1/12 + 1/48 for uniform inputs. */
  static final double MEAN_PREDICTOR = 1.0 / 12 + 1.0 / 48;

  static List<Batch> data(int steps) {
    Rng rng = new Rng(30);
    List<Batch> batches = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      Tensor x = Tensor.zeros(16, steps, 1);
      Tensor y = Tensor.zeros(16, 1);
      for (int b = 0; b < 16; b++) {
        for (int t = 0; t < steps; t++) {
          x.data()[b * steps + t] = rng.nextFloat();
        }
        y.data()[b] = x.data()[b * steps + steps - 1] + 0.5f * x.data()[b * steps + steps - 2];
      }
      batches.add(new Batch(x, y));
    }
    return batches;
  }

  static Sequential explosiveModel() {
    Rng rng = new Rng(16);
    SimpleRnn rnn = new SimpleRnn(1, 16, SimpleRnn.Nonlinearity.RELU, rng);
    rnn.weightHh().value().fill(0.1f); // positive, spectral radius 16 · 0.1 = 1.6: ReLU states grow 1.6× a step
    return new Sequential(rnn, SequencePooling.lastStep(), new Linear(16, 1, true, rng));
  }

  static Trainer.Result train(Sequential model, List<Batch> batches, double clipNorm) {
    MeanSquaredError mse = new MeanSquaredError();
    Trainer<Batch> trainer = new Trainer<>(model, new Sgd(model.parameters(), 0.1),
        Trainer.Options.epochs(40).withClipNorm(clipNorm), new Rng(1));
    return trainer.fit(batches, List.of(), b -> {
      double loss = mse.forward(model.forward(b.x(), null), b.y());
      model.backward(mse.backward());
      return loss;
    }, null);
  }

  @Test
  void withClippingTheExplodedNetworkRecoversAndLearnsWhereWithoutItTheNetworkDies() {
    List<Batch> batches = data(50);
    Trainer.Result clipped = train(explosiveModel(), batches, 1.0);
    Trainer.Result unclipped = train(explosiveModel(), batches, 0);

    assertThat(clipped.trainLosses().get(0)).as("the first epoch's loss: the explosion").isGreaterThan(1e9);
    assertThat(clipped.trainLosses()).allMatch(Double::isFinite);
    double last = clipped.trainLosses().get(39);
    assertThat(last).as("clipped, per epoch: %s", clipped.trainLosses()).isLessThan(MEAN_PREDICTOR / 20);
    // Unclipped, one step of size ~1e10 drives the ReLU units dead: the network ends no better than the mean.
    assertThat(unclipped.trainLosses().get(39)).as("unclipped, per epoch: %s", unclipped.trainLosses())
        .isGreaterThan(MEAN_PREDICTOR * 0.9);
  }

  @Test
  void aGradientThatOverflowsFloatIsStoppedByTheNaNGuardWhichNamesTheParameter() {
    // Over 120 steps the states reach 1.6^120 = 3e24, and the gradient, about their square, passes 3.4e38.
    List<Batch> batches = data(120);
    assertThatThrownBy(() -> train(explosiveModel(), batches, 0)).isInstanceOf(Trainer.NonFiniteException.class)
        .hasMessageMatching("Trainer: the gradient of \\S+ is not finite \\((NaN|-?Infinity)\\) at epoch 1, step 1;"
            + " the loss was .*");
  }
}
