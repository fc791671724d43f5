package io.github.recurrent4j.testing;

import io.github.recurrent4j.io.SafeTensors;
import io.github.recurrent4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/** Reads the PyTorch reference fixtures made by {@code tools/make_fixtures.py}. */
public final class Fixtures {
  private Fixtures() {}

  public static Map<String, Tensor> load(String file) {
    try {
      return SafeTensors.read(Path.of("src/test/resources/fixtures", file));
    } catch (IOException e) {
      throw new UncheckedIOException("fixture " + file + " (regenerate with /usr/bin/python3 tools/make_fixtures.py)", e);
    }
  }

  /** The tensor {@code prefix + "." + name}, failing clearly when the fixture lacks it. */
  public static Tensor get(Map<String, Tensor> fixture, String prefix, String name) {
    Tensor t = fixture.get(prefix + "." + name);
    if (t == null) {
      throw new AssertionError("fixture has no tensor " + prefix + "." + name + "; keys: " + fixture.keySet());
    }
    return t;
  }

  /** Float-valued ids (exact small integers) as ints. */
  public static int[] ids(Tensor t) {
    int[] out = new int[t.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.round(t.data()[i]);
    }
    return out;
  }
}
