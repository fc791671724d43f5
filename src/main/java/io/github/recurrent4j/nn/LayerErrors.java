package io.github.recurrent4j.nn;

import java.util.function.Supplier;

/** Puts a composite layer's name in front of a bad-input message raised by a layer inside it. */
final class LayerErrors {
  private LayerErrors() {}

  /**
   * Runs {@code body}; an {@link IllegalArgumentException} from inside is rethrown with
   * {@code owner} in front of its message, so that it names the layer the caller called.
   */
  static <T> T within(Object owner, Supplier<T> body) {
    try {
      return body.get();
    } catch (IllegalArgumentException e) {
      String prefix = owner + ": ";
      if (e.getMessage() != null && e.getMessage().startsWith(prefix)) {
        throw e;
      }
      throw new IllegalArgumentException(prefix + e.getMessage(), e);
    }
  }
}
