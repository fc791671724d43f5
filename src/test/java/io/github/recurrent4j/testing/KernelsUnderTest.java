package io.github.recurrent4j.testing;

import io.github.recurrent4j.kernel.Kernels;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Every kernel implementation this JVM has, for parameterized tests: scalar, and SIMD when present. */
public final class KernelsUnderTest {
  private KernelsUnderTest() {}

  public static Stream<Kernels> all() {
    List<Kernels> all = new ArrayList<>();
    all.add(Kernels.scalar());
    if (Kernels.simd() != null) {
      all.add(Kernels.simd());
    }
    return all.stream();
  }
}
