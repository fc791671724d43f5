package io.github.recurrent4j.nn;

import java.util.List;

/** A state dict that does not fit a module: every missing, unexpected and mis-shaped key, all at once. */
public class StateDictException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final List<String> missing;
  private final List<String> unexpected;
  private final List<String> mismatched;

  public StateDictException(String message, List<String> missing, List<String> unexpected, List<String> mismatched) {
    super(message);
    this.missing = List.copyOf(missing);
    this.unexpected = List.copyOf(unexpected);
    this.mismatched = List.copyOf(mismatched);
  }

  /** Keys the module has and the state dict lacks. */
  public List<String> missing() {
    return missing;
  }

  /** Keys the state dict has and the module lacks. */
  public List<String> unexpected() {
    return unexpected;
  }

  /** One line per key whose shape differs: {@code "weight: expected [2, 3] but got [3, 2]"}. */
  public List<String> mismatched() {
    return mismatched;
  }
}
