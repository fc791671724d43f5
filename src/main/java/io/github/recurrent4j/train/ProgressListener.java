package io.github.recurrent4j.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress on a stream (stderr by default): on a terminal, one line redrawn in place with
 * the epoch, steps, rate, ETA and running loss; otherwise a plain line every {@code every} steps and
 * at each epoch's end, so logs stay readable.
 */
public final class ProgressListener implements Trainer.Listener {
  private final PrintStream out;
  private final boolean terminal;
  private final int stepsPerEpoch;
  private final int totalEpochs;
  private final int every;
  private final long started = System.nanoTime();
  private double runningLoss = Double.NaN;
  private long stepsSeen;

  /** To stderr; a bar when the JVM has a console. */
  public ProgressListener(int stepsPerEpoch, int totalEpochs) {
    this(System.err, System.console() != null, stepsPerEpoch, totalEpochs, 50);
  }

  public ProgressListener(PrintStream out, boolean terminal, int stepsPerEpoch, int totalEpochs, int every) {
    if (out == null || stepsPerEpoch < 1 || totalEpochs < 1 || every < 1) {
      throw new IllegalArgumentException("ProgressListener: needs a stream and positive stepsPerEpoch, totalEpochs"
          + " and every");
    }
    this.out = out;
    this.terminal = terminal;
    this.stepsPerEpoch = stepsPerEpoch;
    this.totalEpochs = totalEpochs;
    this.every = every;
  }

  @Override
  public void onStep(int epoch, long step, double loss) {
    stepsSeen++;
    runningLoss = Double.isNaN(runningLoss) ? loss : 0.98 * runningLoss + 0.02 * loss;
    long inEpoch = (step - 1) % stepsPerEpoch + 1;
    double seconds = (System.nanoTime() - started) / 1e9;
    double rate = stepsSeen / Math.max(seconds, 1e-9);
    long remaining = (long) stepsPerEpoch * totalEpochs - step;
    String status = String.format(Locale.ROOT, "epoch %d/%d  step %d/%d  %.1f steps/s  ETA %s  loss %.4f",
        epoch + 1, totalEpochs, inEpoch, stepsPerEpoch, rate, duration(remaining / Math.max(rate, 1e-9)), runningLoss);
    if (terminal) {
      int width = 20;
      int filled = (int) (width * inEpoch / stepsPerEpoch);
      out.print("\r[" + "=".repeat(filled) + " ".repeat(width - filled) + "] " + status);
      out.flush();
    } else if (step % every == 0) {
      out.println(status);
    }
  }

  @Override
  public void onEpoch(int epoch, double trainLoss, double validationScore) {
    if (terminal) {
      out.println();
    }
    out.printf(Locale.ROOT, "epoch %d/%d done: train loss %.4f%s%n", epoch, totalEpochs, trainLoss,
        Double.isNaN(validationScore) ? "" : String.format(Locale.ROOT, ", validation %.4f", validationScore));
  }

  private static String duration(double seconds) {
    long s = Math.max(0, Math.round(seconds));
    return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }
}
