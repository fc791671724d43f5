package io.github.recurrent4j.io;

import io.github.recurrent4j.tensor.Tensor;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Attention weights a person can look at: a PNG with one square per (output token, source token),
 * white for weight 0 through dark blue for weight 1. Source tokens label the columns (written
 * upwards along the top), output tokens label the rows (along the left).
 */
public final class AttentionHeatmap {
  /** The side of one square, in pixels. */
  public static final int CELL = 28;
  private static final int PAD = 6;
  private static final Color EMPTY = Color.WHITE;
  private static final Color FULL = new Color(8, 48, 107);

  private AttentionHeatmap() {}

  /**
   * Renders {@code weights} (outputs × sources, each in [0, 1]) and writes the PNG to {@code png}
   * atomically.
   */
  public static void write(Path png, Tensor weights, List<String> sourceTokens, List<String> outputTokens)
      throws IOException {
    if (png == null) {
      throw new IllegalArgumentException("AttentionHeatmap: path must not be null");
    }
    BufferedImage image = render(weights, sourceTokens, outputTokens);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    if (!ImageIO.write(image, "png", bytes)) {
      throw new IOException("AttentionHeatmap: this JVM has no PNG writer");
    }
    AtomicFiles.write(png, bytes.toByteArray());
  }

  /** The image {@link #write} saves. */
  public static BufferedImage render(Tensor weights, List<String> sourceTokens, List<String> outputTokens) {
    if (weights == null || weights.rank() != 2) {
      throw new IllegalArgumentException("AttentionHeatmap: expected weights [outputs, sources], got "
          + (weights == null ? "null" : weights.shapeString()));
    }
    int rows = weights.dim(0);
    int cols = weights.dim(1);
    if (sourceTokens == null || outputTokens == null || sourceTokens.size() != cols || outputTokens.size() != rows) {
      throw new IllegalArgumentException("AttentionHeatmap: weights " + weights.shapeString() + " need " + rows
          + " output tokens and " + cols + " source tokens, got " + (outputTokens == null ? "null" : outputTokens.size())
          + " and " + (sourceTokens == null ? "null" : sourceTokens.size()));
    }
    for (int i = 0; i < weights.size(); i++) {
      float w = weights.data()[i];
      if (!(w >= 0f && w <= 1f)) {
        int[] at = weights.indexOf(i);
        throw new IllegalArgumentException("AttentionHeatmap: weight at [" + at[0] + ", " + at[1] + "] is " + w
            + ", not in [0, 1]");
      }
    }
    Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    FontMetrics metrics;
    try {
      Graphics2D probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
      metrics = probe.getFontMetrics(font);
      probe.dispose();
    } catch (RuntimeException | Error e) { // a JVM without any font
      throw new IllegalStateException("AttentionHeatmap: cannot load a font for the labels (" + e
          + "); install one, e.g. Debian's fonts-dejavu-core", e);
    }
    int left = PAD + widest(outputTokens, metrics) + PAD;
    int top = PAD + widest(sourceTokens, metrics) + PAD;
    BufferedImage image = new BufferedImage(left + cols * CELL + PAD, top + rows * CELL + PAD,
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          g.setColor(shade(weights.get(i, j)));
          g.fillRect(left + j * CELL, top + i * CELL, CELL, CELL);
        }
      }
      g.setColor(Color.LIGHT_GRAY);
      g.drawRect(left, top, cols * CELL - 1, rows * CELL - 1);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(font);
      g.setColor(Color.BLACK);
      int baseline = (CELL + metrics.getAscent() - metrics.getDescent()) / 2;
      for (int i = 0; i < rows; i++) {
        String label = outputTokens.get(i);
        g.drawString(label, left - PAD - metrics.stringWidth(label), top + i * CELL + baseline);
      }
      AffineTransform straight = g.getTransform();
      for (int j = 0; j < cols; j++) {
        g.setTransform(straight);
        g.translate(left + j * CELL + baseline, top - PAD);
        g.rotate(-Math.PI / 2);
        g.drawString(sourceTokens.get(j), 0, 0);
      }
    } finally {
      g.dispose();
    }
    return image;
  }

  /** White at 0, dark blue at 1, linear in between. */
  static Color shade(float w) {
    return new Color(mix(EMPTY.getRed(), FULL.getRed(), w), mix(EMPTY.getGreen(), FULL.getGreen(), w),
        mix(EMPTY.getBlue(), FULL.getBlue(), w));
  }

  private static int mix(int a, int b, float w) {
    return Math.round(a + (b - a) * w);
  }

  private static int widest(List<String> labels, FontMetrics metrics) {
    int widest = 0;
    for (String s : labels) {
      if (s == null) {
        throw new IllegalArgumentException("AttentionHeatmap: a token label is null");
      }
      widest = Math.max(widest, metrics.stringWidth(s));
    }
    return widest;
  }
}
