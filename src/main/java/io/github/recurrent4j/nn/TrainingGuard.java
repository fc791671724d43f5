package io.github.recurrent4j.nn;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The cheap guard against training one layer from two threads at once. Forward and backward share
 * the layer's cache, so a second thread entering while another is inside fails fast instead of
 * corrupting both; re-entry by the same thread is allowed. One compare-and-set per call.
 */
final class TrainingGuard {
  private final AtomicReference<Thread> inside = new AtomicReference<>();

  /** Takes the layer for {@code what}; returns whether this call took it (and must {@link #leave} it). */
  boolean enter(Object layer, String what) {
    Thread current = Thread.currentThread();
    if (inside.compareAndSet(null, current)) {
      return true;
    }
    Thread other = inside.get();
    if (other == current) {
      return false;
    }
    throw new IllegalStateException(layer + ": " + what + " called from thread " + current.getName()
        + " while thread " + (other == null ? "?" : other.getName()) + " is in forward or backward of this layer;"
        + " training is single-threaded per layer (use infer() to serve from many threads)");
  }

  void leave(boolean entered) {
    if (entered) {
      inside.set(null);
    }
  }

  /** Runs {@code body} holding the layer for {@code what}: the enter, the body and the leave in one. */
  <T> T call(Object layer, String what, Supplier<T> body) {
    boolean entered = enter(layer, what);
    try {
      return body.get();
    } finally {
      leave(entered);
    }
  }

  /** The thread inside forward or backward, if any (for tests). */
  Thread inside() {
    return inside.get();
  }
}
