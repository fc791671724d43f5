package example;

import io.github.recurrent4j.loss.MeanSquaredError;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.SequencePooling;
import io.github.recurrent4j.nn.Sequential;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;

/** Learns to sum a sequence of numbers with an LSTM, using nothing but the installed jar. */
public final class Consumer {
  public static void main(String[] args) {
    Rng rng = new Rng(1);
    Tensor x = Tensor.zeros(64, 10, 1);
    Tensor y = Tensor.zeros(64, 1);
    for (int b = 0; b < 64; b++) {
      for (int t = 0; t < 10; t++) {
        float v = (float) rng.nextDouble(-0.2, 0.2);
        x.data()[b * 10 + t] = v;
        y.data()[b] += v;
      }
    }
    Sequential model = new Sequential(new Lstm(1, 16, rng), SequencePooling.lastStep(), new Linear(16, 1, true, rng));
    Adam adam = new Adam(model.parameters(), 0.01);
    MeanSquaredError mse = new MeanSquaredError();
    double first = Double.NaN;
    double last = Double.NaN;
    for (int step = 0; step < 300; step++) {
      adam.zeroGrad();
      last = mse.forward(model.forward(x, null), y);
      first = step == 0 ? last : first;
      model.backward(mse.backward());
      adam.step();
    }
    System.out.printf("consumer: MSE %.5f -> %.5f%n", first, last);
    if (!(last < first / 10)) {
      System.out.println("consumer: FAILED, the loss did not fall tenfold");
      System.exit(1);
    }
    System.out.println("consumer: OK");
  }
}
