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
    return within(owner, -1, body);
  }

  /**
   * As {@link #within(Object, Supplier)}, naming also the position of the inner layer ({@code
   * index >= 0}). The name is only built when something is thrown: calls on the hot path pay nothing.
   */
  static <T> T within(Object owner, int index, Supplier<T> body) {
    try {
      return body.get();
    } catch (IllegalArgumentException e) {
      String prefix = owner + (index >= 0 ? " at layer " + index : "") + ": ";
      if (e.getMessage() != null && e.getMessage().startsWith(prefix)) {
        throw e;
      }
      throw new IllegalArgumentException(prefix + e.getMessage(), e);
    }
  }
}
