package io.github.recurrent4j.examples;

import java.io.PrintStream;

/** A runnable demo, selected by name on the command line. */
public interface Demo {
  /** The name used on the command line. */
  String name();

  /** One line for {@code --help}. */
  String description();

  /** Runs the demo; {@code quick} shrinks it to a few seconds. */
  void run(boolean quick, PrintStream out);
}
