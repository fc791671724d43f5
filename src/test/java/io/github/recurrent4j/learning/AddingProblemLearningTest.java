package io.github.recurrent4j.learning;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.recurrent4j.examples.AddingProblem;
import io.github.recurrent4j.loss.MeanSquaredError;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.SequencePooling;
import io.github.recurrent4j.nn.Sequential;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.tensor.Rng;
import org.junit.jupiter.api.Test;

/**
 * An LSTM learns the adding problem with T = 50, the long-range memory test of Hochreiter &amp;
 * Schmidhuber: test MSE below 0.01, where answering the mean scores about 0.17.
 *
 * <p>Budget: at most 2,000 Adam steps (lr 0.01) of 32 sequences, hidden size 32, seed 2026; it
 * stops as soon as the held-out MSE is below the target (about 750 steps, a few seconds here).
 */
class AddingProblemLearningTest {
  @Test
  void lstmLearnsTheAddingProblemWithFiftySteps() {
    Rng rng = new Rng(2026);
    AddingProblem test = AddingProblem.generate(1000, 50, new Rng(7));
    double baseline = new MeanSquaredError().forward(io.github.recurrent4j.tensor.Tensor.full(1f, 1000, 1),
        test.targets());
    assertThat(baseline).as("always answering the mean").isBetween(0.14, 0.2);
    Sequential model = new Sequential(new Lstm(2, 32, rng), SequencePooling.lastStep(), new Linear(32, 1, true, rng));
    assertThat(train(model, rng, test)).as("held-out MSE").isLessThan(0.01);
  }

  /**
   * The point of the gates: an Elman network with the same size, data, optimizer and budget stays
   * at the baseline, because the gradient from the target fades over the 25+ steps back to the
   * first marker.
   */
  @Test
  void simpleRnnDoesNotLearnItWithinTheSameBudget() {
    Rng rng = new Rng(2026);
    AddingProblem test = AddingProblem.generate(1000, 50, new Rng(7));
    Sequential model = new Sequential(new io.github.recurrent4j.nn.SimpleRnn(2, 32,
        io.github.recurrent4j.nn.SimpleRnn.Nonlinearity.TANH, rng), SequencePooling.lastStep(),
        new Linear(32, 1, true, rng));
    assertThat(train(model, rng, test)).as("held-out MSE").isGreaterThan(0.1);
  }

  /** Up to 2,000 Adam steps of 32 sequences; returns the held-out MSE, stopping once it is below 0.01. */
  private static double train(Sequential model, Rng rng, AddingProblem test) {
    int batch = 32;
    AddingProblem train = AddingProblem.generate(batch * 200, 50, rng);
    Adam adam = new Adam(model.parameters(), 0.01);
    MeanSquaredError mse = new MeanSquaredError();
    double testLoss = Double.NaN;
    for (int step = 1; step <= 2000; step++) {
      AddingProblem b = train.batch((step % 200) * batch, batch);
      adam.zeroGrad();
      mse.forward(model.forward(b.inputs(), null), b.targets());
      model.backward(mse.backward());
      adam.step();
      if (step % 250 == 0) {
        testLoss = new MeanSquaredError().forward(model.forward(test.inputs(), null), test.targets());
        if (testLoss < 0.01) {
          break;
        }
      }
    }
    return testLoss;
  }
}
