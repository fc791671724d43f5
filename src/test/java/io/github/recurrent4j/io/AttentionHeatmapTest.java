package io.github.recurrent4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttentionHeatmapTest {
  static final List<String> SOURCE = List.of("arrive", "in", "Taipei");
  static final List<String> OUTPUT = List.of("O", "B-toloc");
  static final Tensor WEIGHTS = Tensor.of(new float[] {1f, 0f, 0f, 0.1f, 0.3f, 0.6f}, 2, 3);

  /** The colour at the centre of square (i, j): the squares sit at the bottom right, CELL pixels each. */
  static int centre(BufferedImage image, int rows, int cols, int i, int j) {
    int left = image.getWidth() - 6 - cols * AttentionHeatmap.CELL;
    int top = image.getHeight() - 6 - rows * AttentionHeatmap.CELL;
    return image.getRGB(left + j * AttentionHeatmap.CELL + AttentionHeatmap.CELL / 2,
        top + i * AttentionHeatmap.CELL + AttentionHeatmap.CELL / 2) & 0xffffff;
  }

  static int blue(int rgb) {
    return rgb & 0xff;
  }

  @Test
  void writesAPngWhoseSquaresDarkenWithTheWeight(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("attention.png");
    AttentionHeatmap.write(png, WEIGHTS, SOURCE, OUTPUT);
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image).isNotNull();
    assertThat(centre(image, 2, 3, 0, 1)).as("weight 0 is white").isEqualTo(0xffffff);
    assertThat(centre(image, 2, 3, 0, 0)).as("weight 1 is the full colour").isEqualTo(0x08306b);
    // 0.1 < 0.3 < 0.6: red falls from 255 towards 8 with the weight
    int r01 = centre(image, 2, 3, 1, 0) >> 16;
    int r03 = centre(image, 2, 3, 1, 1) >> 16;
    int r06 = centre(image, 2, 3, 1, 2) >> 16;
    assertThat(r01).isGreaterThan(r03);
    assertThat(r03).isGreaterThan(r06);
    assertThat(r06).isEqualTo(Math.round(255 + (8 - 255) * 0.6f));
    // labels: dark pixels left of the squares (outputs) and above them (sources)
    assertThat(hasInk(image, 0, image.getHeight() - 6 - 2 * AttentionHeatmap.CELL, image.getWidth() - 6 - 3
        * AttentionHeatmap.CELL, image.getHeight())).as("output labels").isTrue();
    assertThat(hasInk(image, image.getWidth() - 6 - 3 * AttentionHeatmap.CELL, 0, image.getWidth(),
        image.getHeight() - 6 - 2 * AttentionHeatmap.CELL)).as("source labels").isTrue();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).as("no temporary file is left").containsExactly(png);
    }
  }

  static boolean hasInk(BufferedImage image, int x0, int y0, int x1, int y1) {
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        if ((image.getRGB(x, y) & 0xff) < 128) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void badInputIsAClearError(@TempDir Path dir) {
    assertThatThrownBy(() -> AttentionHeatmap.render(Tensor.zeros(2, 3, 1), SOURCE, OUTPUT))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected weights [outputs, sources], got [2, 3, 1]");
    assertThatThrownBy(() -> AttentionHeatmap.render(WEIGHTS, OUTPUT, OUTPUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weights [2, 3] need 2 output tokens and 3 source tokens, got 2 and 2");
    Tensor nan = WEIGHTS.copy();
    nan.set(Float.NaN, 1, 2);
    assertThatThrownBy(() -> AttentionHeatmap.render(nan, SOURCE, OUTPUT))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight at [1, 2] is NaN, not in [0, 1]");
    Path missing = dir.resolve("no/such/dir/a.png");
    assertThatThrownBy(() -> AttentionHeatmap.write(missing, WEIGHTS, SOURCE, OUTPUT))
        .isInstanceOf(java.io.IOException.class);
  }
}
