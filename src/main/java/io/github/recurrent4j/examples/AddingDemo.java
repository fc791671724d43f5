package io.github.recurrent4j.examples;

import io.github.recurrent4j.loss.MeanSquaredError;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.SequencePooling;
import io.github.recurrent4j.nn.Sequential;
import io.github.recurrent4j.nn.SimpleRnn;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.io.PrintStream;

/**
 * The adding problem (Hochreiter and Schmidhuber 1997): remember two marked values across a long
 * sequence and add them. An LSTM and an Elman network of the same size get the same data,
 * optimizer and budget; their held-out MSE is printed side by side as text learning curves.
 */
final class AddingDemo implements Demo {
  @Override
  public String name() {
    return "adding";
  }

  @Override
  public String description() {
    return "the adding problem: Lstm against SimpleRnn on long lags, with text learning curves";
  }

  @Override
  public void run(boolean quick, PrintStream out) {
    int steps = quick ? 30 : 50;
    int updates = quick ? 1000 : 2000;
    int batch = 32;
    AddingProblem test = AddingProblem.generate(1000, steps, new Rng(7));
    double baseline = new MeanSquaredError().forward(Tensor.full(1f, 1000, 1), test.targets());
    out.printf("T = %d steps, %d Adam updates of %d sequences; answering the mean scores MSE %.3f%n", steps, updates,
        batch, baseline);
    Rng rng = new Rng(2026);
    AddingProblem train = AddingProblem.generate(batch * 200, steps, rng);
    Sequential lstm = new Sequential(new Lstm(2, 32, new Rng(1)), SequencePooling.lastStep(),
        new Linear(32, 1, true, new Rng(2)));
    Sequential elman = new Sequential(new SimpleRnn(2, 32, SimpleRnn.Nonlinearity.TANH, new Rng(1)),
        SequencePooling.lastStep(), new Linear(32, 1, true, new Rng(2)));
    Adam lstmAdam = new Adam(lstm.parameters(), 0.01);
    Adam elmanAdam = new Adam(elman.parameters(), 0.01);
    MeanSquaredError mse = new MeanSquaredError();
    out.printf("%n%7s  %-32s  %-32s%n", "update", "Lstm held-out MSE", "SimpleRnn held-out MSE");
    double lstmLoss = Double.NaN;
    double elmanLoss = Double.NaN;
    for (int step = 1; step <= updates; step++) {
      AddingProblem b = train.batch((step % 200) * batch, batch);
      for (Object[] pair : new Object[][] {{lstm, lstmAdam}, {elman, elmanAdam}}) {
        Sequential model = (Sequential) pair[0];
        Adam adam = (Adam) pair[1];
        adam.zeroGrad();
        mse.forward(model.forward(b.inputs(), null), b.targets());
        model.backward(mse.backward());
        adam.step();
      }
      if (step % (updates / 10) == 0) {
        lstmLoss = mse.forward(lstm.forward(test.inputs(), null), test.targets());
        elmanLoss = mse.forward(elman.forward(test.inputs(), null), test.targets());
        out.printf("%7d  %-32s  %-32s%n", step, bar(lstmLoss, baseline), bar(elmanLoss, baseline));
      }
    }
    out.printf("%nfinal held-out MSE: Lstm %.4f, SimpleRnn %.4f (the mean: %.3f)%n", lstmLoss, elmanLoss, baseline);
    out.println(lstmLoss < 0.01 ? "The Lstm solved it (MSE < 0.01), though the first marked value lies up to "
        + (steps - 1) + " steps back." : "The Lstm did not reach MSE 0.01 within this budget.");
  }

  /** The MSE as a number and a bar, full width at the baseline. */
  private static String bar(double loss, double baseline) {
    int width = (int) Math.round(20 * Math.min(1.0, loss / baseline));
    return String.format("%.4f %s", loss, "#".repeat(width));
  }
}
