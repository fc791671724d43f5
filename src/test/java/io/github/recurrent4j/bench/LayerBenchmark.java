package io.github.recurrent4j.bench;

import io.github.recurrent4j.kernel.Parallel;
import io.github.recurrent4j.nn.Gru;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.RecurrentLayer;
import io.github.recurrent4j.nn.RecurrentStream;
import io.github.recurrent4j.nn.SimpleRnn;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;

/**
 * Forward + backward of one recurrent layer (the gradient of the output is given, as a loss
 * would), and batch-1 streaming inference, in the format of bench/layers_torch.py:
 * {@code layer NAME threads VALUE UNIT}. Run by {@code bench/layers}.
 */
public final class LayerBenchmark {
  private LayerBenchmark() {}

  public static void main(String[] args) {
    boolean quick = args.length > 0 && args[0].equals("--quick");
    int batch = 32;
    int steps = 50;
    int input = 64;
    int hidden = 128;
    // The first seconds run the Vector API interpreted: warm every workload up before timing any.
    for (int pass = 0; pass < 2; pass++) {
      boolean timed = pass == 1;
      run(quick, timed, batch, steps, input, hidden);
    }
  }

  private static void run(boolean quick, boolean timed, int batch, int steps, int input, int hidden) {
    for (int threads : new int[] {1, 2}) {
      Parallel.setThreads(threads);
      for (String kind : new String[] {"SimpleRnn", "Lstm", "Gru"}) {
        Rng rng = new Rng(1);
        RecurrentLayer layer = switch (kind) {
          case "Lstm" -> new Lstm(input, hidden, rng);
          case "Gru" -> new Gru(input, hidden, rng);
          default -> new SimpleRnn(input, hidden, SimpleRnn.Nonlinearity.TANH, rng);
        };
        Tensor x = Init.normal(Tensor.zeros(batch, steps, input), 0, 1, rng);
        Tensor dy = Init.normal(Tensor.zeros(batch, steps, hidden), 0, 1, rng);
        Runnable trainStep = () -> {
          layer.zeroGrad();
          layer.forward(x, null, null);
          layer.backward(dy, null);
        };
        if (!timed) {
          Bench.medianSeconds(trainStep, quick ? 0.5 : 2, 1, 0.01);
          continue;
        }
        double seconds = quick ? Bench.medianSeconds(trainStep, 0.3, 3, 0.1) : Bench.medianSeconds(trainStep, 1, 7, 0.5);
        System.out.printf("layer %s-fwd+bwd-B%d-T%d-I%d-H%d %d %.1f sequences/s%n", kind, batch, steps, input, hidden,
            threads, batch / seconds);
      }
      Lstm lstm = new Lstm(64, 256, new Rng(2));
      RecurrentStream stream = lstm.newStream();
      float[] xt = new float[64];
      Runnable step = () -> stream.step(xt);
      if (!timed) {
        Bench.medianSeconds(step, quick ? 0.5 : 2, 1, 0.01);
        continue;
      }
      double seconds = quick ? Bench.medianSeconds(step, 0.3, 3, 0.1) : Bench.medianSeconds(step, 1, 7, 0.5);
      System.out.printf("layer Lstm-stream-step-I64-H256 %d %.2f us/step%n", threads, seconds * 1e6);
    }
  }
}
