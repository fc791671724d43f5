package io.github.recurrent4j.kernel;

import java.lang.System.Logger.Level;

/** Chooses the kernels once per JVM, and says in one log line how to get the fast path when it is off. */
final class KernelSelection {
  static final String SIMD_CLASS = "io.github.recurrent4j.kernel.simd.VectorKernels";
  static final Kernels SCALAR = new ScalarKernels();
  static final Kernels SIMD = loadSimd();
  static final Kernels ACTIVE = choose();

  private KernelSelection() {}

  private static Kernels loadSimd() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return null;
    }
    try {
      return (Kernels) Class.forName(SIMD_CLASS).getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      System.getLogger("io.github.recurrent4j").log(Level.WARNING,
          "recurrent4j: SIMD kernels failed to load (" + e + "); using scalar kernels");
      return null;
    }
  }

  private static Kernels choose() {
    System.Logger log = System.getLogger("io.github.recurrent4j");
    if ("false".equalsIgnoreCase(System.getProperty("recurrent4j.simd", "true").trim())) {
      log.log(Level.INFO, "recurrent4j: SIMD kernels disabled by -Drecurrent4j.simd=false; using scalar kernels");
      return SCALAR;
    }
    if (SIMD == null) {
      log.log(Level.INFO, "recurrent4j: SIMD kernels are off because the JVM was started without the Vector API;"
          + " add --add-modules jdk.incubator.vector to the java command for the fast path");
      return SCALAR;
    }
    JitWarmUp.start(SIMD);
    return SIMD;
  }
}
