package io.github.recurrent4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.kernel.Parallel;
import io.github.recurrent4j.loss.MeanSquaredError;
import io.github.recurrent4j.nn.Linear;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.SequencePooling;
import io.github.recurrent4j.nn.Sequential;
import io.github.recurrent4j.optim.Adam;
import io.github.recurrent4j.optim.Schedule;
import io.github.recurrent4j.optim.Sgd;
import io.github.recurrent4j.tensor.Init;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
  @TempDir
  Path dir;

  @AfterEach
  void restoreThreads() {
    Parallel.setThreads(Runtime.getRuntime().availableProcessors());
  }

  /** A batch: sequences [B, T, 2] and a target per sequence. */
  record Batch(Tensor x, Tensor y) {}

  static List<Batch> data(int batches, long seed) {
    Rng rng = new Rng(seed);
    List<Batch> out = new ArrayList<>();
    for (int i = 0; i < batches; i++) {
      Tensor x = Init.normal(Tensor.zeros(4, 6, 2), 0, 1, rng);
      Tensor y = Tensor.zeros(4, 1);
      for (int b = 0; b < 4; b++) {
        y.set(x.get(b, 0, 0) - x.get(b, 5, 1), b, 0); // depends on the first and the last step
      }
      out.add(new Batch(x, y));
    }
    return out;
  }

  /** A fresh model (with dropout of both kinds), optimizer, schedule and trainer, all from fixed seeds. */
  static final class Setup {
    final Sequential model;
    final Adam adam;
    final Trainer<Batch> trainer;
    final MeanSquaredError mse = new MeanSquaredError();

    Setup(int epochs) {
      Rng rng = new Rng(3);
      Rng dropout = new Rng(30);
      Rng recurrentDropout = new Rng(31);
      model = new Sequential(new Lstm(2, 8, rng).withRecurrentDropout(0.2, recurrentDropout),
          new io.github.recurrent4j.nn.Dropout(0.1, dropout), SequencePooling.lastStep(), new Linear(8, 1, true, rng));
      adam = new Adam(model.parameters(), 0.01);
      // restoreBest off: a run cut at epoch 3 must checkpoint epoch 3's weights, not its best epoch's
      trainer = new Trainer<Batch>(model, adam, new Trainer.Options(epochs, 1.0, false, 0, false), new Rng(4))
          .withSchedule(Schedule.cosineWithWarmup(adam, 3, 0.1, 40, 0.001))
          .withRng("dropout", dropout)
          .withRng("recurrent_dropout", recurrentDropout);
    }

    double step(Batch b) {
      double loss = mse.forward(model.forward(b.x()), b.y());
      model.backward(mse.backward());
      return loss;
    }

    Trainer.Result fit(List<Batch> train) {
      return trainer.fit(train, null, this::step, null);
    }
  }

  @Test
  void resumingFromACheckpointContinuesBitIdentically() throws Exception {
    List<Batch> train = data(5, 1);
    Setup straight = new Setup(6);
    straight.fit(train);

    Setup first = new Setup(3);
    first.fit(train);
    Path checkpoint = dir.resolve("run.safetensors");
    first.trainer.checkpoint(checkpoint);
    Setup resumed = new Setup(6); // fresh objects
    resumed.trainer.resume(checkpoint);
    assertThat(resumed.trainer.epoch()).isEqualTo(3);
    assertThat(resumed.trainer.step()).isEqualTo(15);
    resumed.fit(train);
    assertThat(resumed.model.stateDict()).isEqualTo(straight.model.stateDict());
  }

  @Test
  void trainingIsBitIdenticalRunToRunWithOneAndTwoThreads() {
    List<Batch> train = data(4, 2);
    Parallel.setThreads(1);
    Setup one = new Setup(3);
    one.fit(train);
    Parallel.setThreads(2);
    Setup two = new Setup(3);
    two.fit(train);
    assertThat(two.model.stateDict()).isEqualTo(one.model.stateDict());
  }

  @Test
  void theNanGuardNamesTheStepAndTheParameter() {
    Rng rng = new Rng(5);
    Linear model = new Linear(2, 1, true, rng);
    Trainer<Tensor> trainer = new Trainer<>(model, new Sgd(model.parameters(), 1e30), Trainer.Options.epochs(5),
        new Rng(6));
    MeanSquaredError mse = new MeanSquaredError();
    Tensor x = Tensor.of(new float[] {1e10f, -1e10f}, 1, 2);
    Tensor y = Tensor.zeros(1, 1);
    assertThatThrownBy(() -> trainer.fit(List.of(x), null, t -> {
      double loss = mse.forward(model.forward(t), y);
      model.backward(mse.backward());
      return loss;
    }, null))
        .isInstanceOf(Trainer.NonFiniteException.class)
        .hasMessageMatching("Trainer: (the loss is (Infinity|NaN) at epoch \\d+, step \\d+|the gradient of weight is not"
            + " finite .* at epoch \\d+, step \\d+; the loss was .*)");
  }

  @Test
  void earlyStoppingRestoresTheBestEpochAndListenersHearEverything() {
    Rng rng = new Rng(7);
    Linear model = new Linear(1, 1, true, rng);
    Tensor x = Tensor.of(new float[] {1}, 1, 1);
    MeanSquaredError mse = new MeanSquaredError();
    List<Double> validationScores = new ArrayList<>(List.of(5.0, 3.0, 4.0, 4.5, 6.0, 1.0));
    List<Map<String, Tensor>> weightsPerEpoch = new ArrayList<>();
    int[] steps = {0};
    Trainer<Tensor> trainer = new Trainer<Tensor>(model, new Sgd(model.parameters(), 0.1),
        Trainer.Options.epochs(6).withEarlyStopping(2, false), new Rng(8))
        .addListener(new Trainer.Listener() {
          @Override
          public void onStep(int epoch, long step, double loss) {
            steps[0]++;
          }

          @Override
          public void onEpoch(int epoch, double trainLoss, double score) {
            weightsPerEpoch.add(model.stateDict());
          }
        });
    Trainer.Result result = trainer.fit(List.of(Tensor.of(new float[] {2}, 1, 1)), List.of(x), t -> {
      double loss = mse.forward(model.forward(x), t);
      model.backward(mse.backward());
      return loss;
    }, batches -> validationScores.remove(0));
    assertThat(result.stoppedEarly()).isTrue();
    assertThat(result.bestEpoch()).isEqualTo(2);
    assertThat(result.scores()).containsExactly(5.0, 3.0, 4.0, 4.5);
    assertThat(steps[0]).isEqualTo(4);
    assertThat(model.stateDict()).isEqualTo(weightsPerEpoch.get(1));
  }

  /** Trains {@code setup} on a small data set and writes its checkpoint as {@code name} in the test directory. */
  private Path trainedCheckpoint(Setup setup, String name) throws java.io.IOException {
    setup.fit(data(2, 3));
    Path checkpoint = dir.resolve(name);
    setup.trainer.checkpoint(checkpoint);
    return checkpoint;
  }

  @Test
  void aCheckpointWriteThatFailsLeavesThePreviousOneLoadable() throws Exception {
    Setup setup = new Setup(1);
    Path checkpoint = trainedCheckpoint(setup, "ckpt.safetensors");
    byte[] good = Files.readAllBytes(checkpoint);
    // A writer killed part-way leaves only its temporary file; the rename never happened.
    Files.write(dir.resolve(".ckpt.safetensors.123.tmp"), java.util.Arrays.copyOf(good, good.length / 2));
    Setup fresh = new Setup(2);
    fresh.trainer.resume(checkpoint);
    assertThat(fresh.model.stateDict()).isEqualTo(setup.model.stateDict());
    assertThatThrownBy(() -> fresh.trainer.resume(dir.resolve(".ckpt.safetensors.123.tmp")))
        .isInstanceOf(java.io.IOException.class);
  }

  @Test
  void aCheckpointWithBadMetadataOrStateIsRefusedByNameAndChangesNothing() throws Exception {
    Setup setup = new Setup(1);
    Path checkpoint = trainedCheckpoint(setup, "good.safetensors");
    io.github.recurrent4j.io.SafeTensors.Contents good = io.github.recurrent4j.io.SafeTensors.load(checkpoint);
    Setup fresh = new Setup(2);
    Map<String, Tensor> before = fresh.model.stateDict();
    Map<String, Tensor> optimizerBefore = fresh.adam.stateDict();
    String[][] badFields = {
        {"epoch", "x", "\"epoch\" must be a whole number in [0, 2147483647], got \"x\""},
        {"step", "-3", "\"step\" must be a whole number in [0, 9223372036854775807], got \"-3\""},
        {"learning_rate", "NaN", "\"learning_rate\" must be a finite number >= 0, got \"NaN\""},
        {"rng", "zz", "\"rng\" is not a generator state: Rng.restore: expected 5 comma-separated fields, got 'zz'"},
        {"rng.dropout", "1,2,3,4,q", "\"rng.dropout\" is not a generator state"}};
    for (String[] bad : badFields) {
      Map<String, String> meta = new java.util.LinkedHashMap<>(good.metadata());
      meta.put(bad[0], bad[1]);
      Path file = dir.resolve("bad-" + bad[0] + ".safetensors");
      io.github.recurrent4j.io.SafeTensors.write(file, good.tensors(), meta);
      assertThatThrownBy(() -> fresh.trainer.resume(file))
          .isInstanceOf(java.io.IOException.class)
          .hasMessageStartingWith("Trainer.resume: " + file + ": ")
          .hasMessageContaining(bad[2]);
    }
    // an optimizer state of another model: refused after the model's weights loaded, which go back
    Map<String, Tensor> tensors = new java.util.LinkedHashMap<>(good.tensors());
    tensors.remove(tensors.keySet().stream().filter(k -> k.startsWith("optimizer.exp_avg.")).findFirst().orElseThrow());
    Path noState = dir.resolve("no-state.safetensors");
    io.github.recurrent4j.io.SafeTensors.write(noState, tensors, good.metadata());
    assertThatThrownBy(() -> fresh.trainer.resume(noState))
        .isInstanceOf(io.github.recurrent4j.nn.StateDictException.class)
        .hasMessageContaining("missing keys [exp_avg.");
    assertThat(fresh.model.stateDict()).as("the model as it was").isEqualTo(before);
    assertThat(fresh.adam.stateDict()).as("the optimizer as it was").isEqualTo(optimizerBefore);
    assertThat(fresh.trainer.epoch()).isZero();
    assertThat(fresh.trainer.step()).isZero();
    fresh.trainer.resume(checkpoint);
    assertThat(fresh.model.stateDict()).isEqualTo(setup.model.stateDict());
  }
}
