package io.github.recurrent4j.train;

import io.github.recurrent4j.io.SafeTensors;
import io.github.recurrent4j.nn.Module;
import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.optim.Clipping;
import io.github.recurrent4j.optim.Optimizer;
import io.github.recurrent4j.optim.Schedule;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training loop: epochs of zero-grad → forward and backward ({@link Step}) → NaN guard → clip
 * → optimizer step → schedule step over the training batches in a seeded shuffled order, then
 * validation, early stopping and listeners.
 *
 * <p>{@link #checkpoint} writes the weights, the optimizer's state, the shuffling generator, the
 * schedule's position, the epoch and the step atomically (a crash leaves the previous file whole);
 * {@link #resume} restores them, and training then continues bit-identically. Generators the model
 * draws from (dropout's) join the checkpoint through {@link #withRng}.
 *
 * @param <B> a batch, whatever the step function takes
 */
public final class Trainer<B> {
  /** Forward, loss and backward on one batch: returns the loss (gradients already accumulated). */
  @FunctionalInterface
  public interface Step<B> {
    double lossAndBackward(B batch);
  }

  /** A validation score over batches (a mean loss, an F1): inference only. */
  @FunctionalInterface
  public interface Validation<B> {
    double score(List<B> batches);
  }

  /** Called during training; both methods default to nothing. */
  public interface Listener {
    default void onStep(int epoch, long step, double loss) {}

    /** {@code validationScore} is NaN when the fit has no validation. */
    default void onEpoch(int epoch, double trainLoss, double validationScore) {}
  }

  /**
   * @param epochs the number of epochs to train
   * @param clipNorm the maximum global gradient norm, or 0 for no clipping
   * @param higherIsBetter whether a higher validation score is better (an F1) or a lower one (a loss)
   * @param patience stop after this many epochs without a better score, or 0 to never stop early
   * @param restoreBest at the end, load the weights of the epoch with the best score
   */
  public record Options(int epochs, double clipNorm, boolean higherIsBetter, int patience, boolean restoreBest) {
    public Options {
      if (epochs < 0 || !(clipNorm >= 0) || patience < 0) {
        throw new IllegalArgumentException("Trainer.Options: epochs, clipNorm and patience must be >= 0, got epochs="
            + epochs + ", clipNorm=" + clipNorm + ", patience=" + patience);
      }
    }

    /** The given epochs; no clipping, lower is better, no early stopping, restore the best. */
    public static Options epochs(int epochs) {
      return new Options(epochs, 0, false, 0, true);
    }

    public Options withClipNorm(double value) {
      return new Options(epochs, value, higherIsBetter, patience, restoreBest);
    }

    public Options withEarlyStopping(int value, boolean higher) {
      return new Options(epochs, clipNorm, higher, value, restoreBest);
    }
  }

  /** What {@link #fit} did. */
  public record Result(List<Double> trainLosses, List<Double> scores, int bestEpoch, boolean stoppedEarly) {}

  /** Thrown by the NaN guard: a non-finite loss or gradient, with where it happened. */
  public static final class NonFiniteException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    NonFiniteException(String message) {
      super(message);
    }
  }

  private final Module model;
  private final Optimizer optimizer;
  private final Options options;
  private final Rng rng; // shuffles the batches
  private final List<Listener> listeners = new ArrayList<>();
  private final Map<String, Rng> modelRngs = new LinkedHashMap<>();
  private Schedule schedule;
  private int epoch;
  private long step;

  public Trainer(Module model, Optimizer optimizer, Options options, Rng rng) {
    if (model == null || optimizer == null || options == null || rng == null) {
      throw new IllegalArgumentException("Trainer: model, optimizer, options and rng must not be null");
    }
    this.model = model;
    this.optimizer = optimizer;
    this.options = options;
    this.rng = rng;
  }

  /** A schedule stepped after every optimizer step. */
  public Trainer<B> withSchedule(Schedule value) {
    this.schedule = value;
    return this;
  }

  /** A generator the model draws from (a dropout's), saved with checkpoints and restored on resume. */
  public Trainer<B> withRng(String name, Rng generator) {
    if (name == null || name.isEmpty() || generator == null) {
      throw new IllegalArgumentException("Trainer.withRng: needs a name and a generator");
    }
    modelRngs.put(name, generator);
    return this;
  }

  public Trainer<B> addListener(Listener listener) {
    listeners.add(listener);
    return this;
  }

  /** The epochs completed so far. */
  public int epoch() {
    return epoch;
  }

  /** The optimizer steps taken so far. */
  public long step() {
    return step;
  }

  /** Trains until {@link Options#epochs()} epochs are complete (continuing after a {@link #resume}). */
  public Result fit(List<B> train, List<B> validation, Step<B> stepFunction, Validation<B> validate) {
    if (train == null || train.isEmpty() || stepFunction == null) {
      throw new IllegalArgumentException("Trainer.fit: needs training batches and a step function");
    }
    List<Double> losses = new ArrayList<>();
    List<Double> scores = new ArrayList<>();
    double best = Double.NaN;
    int bestEpoch = -1;
    Map<String, Tensor> bestWeights = null;
    int sinceBest = 0;
    boolean stopped = false;
    while (epoch < options.epochs()) {
      int[] order = new int[train.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      rng.shuffle(order);
      double sum = 0;
      for (int index : order) {
        optimizer.zeroGrad();
        double loss = stepFunction.lossAndBackward(train.get(index));
        guard(loss);
        if (options.clipNorm() > 0) {
          Clipping.clipGradNorm(optimizer.parameters(), options.clipNorm());
        }
        optimizer.step();
        if (schedule != null) {
          schedule.step();
        }
        step++;
        sum += loss;
        for (Listener l : listeners) {
          l.onStep(epoch, step, loss);
        }
      }
      epoch++;
      double trainLoss = sum / order.length;
      boolean validated = validation != null && validate != null;
      double score = validated ? validate.score(validation) : trainLoss; // without validation: the training loss
      losses.add(trainLoss);
      scores.add(score);
      for (Listener l : listeners) {
        l.onEpoch(epoch, trainLoss, validated ? score : Double.NaN);
      }
      boolean higher = validated && options.higherIsBetter();
      boolean better = bestEpoch < 0 || (higher ? score > best : score < best);
      if (better) {
        best = score;
        bestEpoch = epoch;
        bestWeights = options.restoreBest() ? model.stateDict() : null;
        sinceBest = 0;
      } else if (options.patience() > 0 && ++sinceBest >= options.patience()) {
        stopped = true;
        break;
      }
    }
    if (options.restoreBest() && bestWeights != null) {
      model.loadStateDict(bestWeights);
    }
    return new Result(losses, scores, bestEpoch, stopped);
  }

  /** The NaN guard: a non-finite loss, or the first parameter with a non-finite gradient, stops training. */
  private void guard(double loss) {
    if (!Double.isFinite(loss)) {
      throw new NonFiniteException("Trainer: the loss is " + loss + " at epoch " + (epoch + 1) + ", step "
          + (step + 1));
    }
    for (Parameter p : optimizer.parameters()) {
      for (float g : p.grad().data()) {
        if (!Float.isFinite(g)) {
          throw new NonFiniteException("Trainer: the gradient of " + p.name() + " is not finite (" + g + ") at epoch "
              + (epoch + 1) + ", step " + (step + 1) + "; the loss was " + loss);
        }
      }
    }
  }

  /** Writes weights, optimizer state and loop state to {@code path}, atomically. */
  public void checkpoint(Path path) throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    model.stateDict().forEach((k, v) -> tensors.put("model." + k, v));
    optimizer.stateDict().forEach((k, v) -> tensors.put("optimizer." + k, v));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("epoch", Integer.toString(epoch));
    meta.put("step", Long.toString(step));
    meta.put("rng", rng.state());
    meta.put("learning_rate", Double.toHexString(optimizer.learningRate()));
    if (schedule != null) {
      meta.put("schedule_steps", Long.toString(schedule.steps()));
    }
    modelRngs.forEach((name, generator) -> meta.put("rng." + name, generator.state()));
    SafeTensors.write(path, tensors, meta);
  }

  /**
   * Restores what {@link #checkpoint} wrote; the next {@link #fit} continues from there. All of the
   * file is read and checked before anything changes: a file that is not a checkpoint of this
   * model and optimizer, or whose counters, learning rate or generator states do not parse, gives
   * an exception naming the file and the field, and leaves the trainer, the model and the
   * optimizer as they were.
   */
  public void resume(Path path) throws IOException {
    SafeTensors.Contents c = SafeTensors.load(path);
    Map<String, Tensor> weights = new LinkedHashMap<>();
    Map<String, Tensor> state = new LinkedHashMap<>();
    c.tensors().forEach((k, v) -> {
      if (k.startsWith("model.")) {
        weights.put(k.substring(6), v);
      } else if (k.startsWith("optimizer.")) {
        state.put(k.substring(10), v);
      }
    });
    Map<String, String> meta = c.metadata();
    List<String> required = new ArrayList<>(List.of("epoch", "step", "rng", "learning_rate"));
    modelRngs.keySet().forEach(name -> required.add("rng." + name));
    for (String key : required) {
      if (!meta.containsKey(key)) {
        throw new IOException("Trainer.resume: " + path + " is not a checkpoint: no \"" + key + "\" in its metadata");
      }
    }
    int newEpoch = (int) count(path, meta, "epoch", Integer.MAX_VALUE);
    long newStep = count(path, meta, "step", Long.MAX_VALUE);
    long scheduleSteps = schedule != null && meta.containsKey("schedule_steps")
        ? count(path, meta, "schedule_steps", Long.MAX_VALUE) : -1;
    double learningRate;
    try {
      learningRate = Double.parseDouble(meta.get("learning_rate"));
    } catch (NumberFormatException e) {
      learningRate = Double.NaN;
    }
    if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
      throw new IOException("Trainer.resume: " + path + ": \"learning_rate\" must be a finite number >= 0, got \""
          + meta.get("learning_rate") + "\"");
    }
    checkRngState(path, meta, "rng");
    for (String name : modelRngs.keySet()) {
      checkRngState(path, meta, "rng." + name);
    }
    // Both state dicts check all of their input before they change anything; if the optimizer's
    // then fails, the model goes back to the weights it had.
    Map<String, Tensor> modelBefore = model.stateDict();
    model.loadStateDict(weights);
    try {
      optimizer.loadStateDict(state);
    } catch (RuntimeException e) {
      model.loadStateDict(modelBefore);
      throw e;
    }
    epoch = newEpoch;
    step = newStep;
    rng.restore(meta.get("rng"));
    optimizer.setLearningRate(learningRate);
    if (scheduleSteps >= 0) {
      schedule.restore(scheduleSteps);
    }
    modelRngs.forEach((name, generator) -> generator.restore(meta.get("rng." + name)));
  }

  /** A non-negative whole number from the checkpoint's metadata, at most {@code max}. */
  private static long count(Path path, Map<String, String> meta, String key, long max) throws IOException {
    String text = meta.get(key);
    try {
      long value = Long.parseLong(text);
      if (value >= 0 && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IOException("Trainer.resume: " + path + ": \"" + key + "\" must be a whole number in [0, " + max
        + "], got \"" + text + "\"");
  }

  /** Checks that the checkpoint's metadata under {@code key} is a generator state, on a throwaway generator. */
  private static void checkRngState(Path path, Map<String, String> meta, String key) throws IOException {
    try {
      new Rng(0).restore(meta.get(key));
    } catch (IllegalArgumentException e) {
      throw new IOException("Trainer.resume: " + path + ": \"" + key + "\" is not a generator state: " + e.getMessage(),
          e);
    }
  }
}
