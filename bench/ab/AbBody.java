package io.github.recurrent4j.bench;

import io.github.recurrent4j.kernel.Parallel;
import io.github.recurrent4j.nn.Bidirectional;
import io.github.recurrent4j.nn.Gru;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.MultiHeadAttention;
import io.github.recurrent4j.nn.SimpleRnn;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;

/**
 * One step of a workload of {@code bench/compare-pytorch}, compiled by {@code bench/ab-builds}
 * against each build it compares, so that each build runs its own code.
 */
public final class AbBody {
  private AbBody() {}

  public static Runnable make(String id) {
    Parallel.setThreads(1);
    return switch (id) {
      case "W1" -> CompareBenchmark.trainStep(new Lstm(64, 128, new Rng(1)), 32, 50, 64, 2);
      case "W2" -> CompareBenchmark.trainStep(new Gru(64, 128, new Rng(1)), 32, 50, 64, 2);
      case "W3" -> CompareBenchmark.trainStep(new SimpleRnn(64, 128, SimpleRnn.Nonlinearity.TANH, new Rng(1)), 32,
          50, 64, 2);
      case "W6" -> {
        Bidirectional bi = new Bidirectional(new Lstm(64, 128, new Rng(4)));
        Tensor x = Init.normal(Tensor.zeros(32, 50, 64), 0, 1, new Rng(5));
        yield () -> bi.infer(x, null, null);
      }
      case "W7" -> {
        MultiHeadAttention mha = new MultiHeadAttention(128, 4, new Rng(6));
        Tensor x = Init.normal(Tensor.zeros(32, 64, 128), 0, 1, new Rng(7));
        Tensor dy = Init.normal(Tensor.zeros(32, 64, 128), 0, 1, new Rng(8));
        yield CompareBenchmark.attentionStep(mha, x, dy);
      }
      default -> throw new IllegalArgumentException("AbBody: unknown workload " + id + " (W1, W2, W3, W6 or W7)");
    };
  }
}
