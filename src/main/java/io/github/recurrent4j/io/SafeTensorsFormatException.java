package io.github.recurrent4j.io;

import java.io.IOException;

/** A safetensors file that is malformed, truncated, inconsistent or hostile; the message says what is wrong. */
public class SafeTensorsFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public SafeTensorsFormatException(String message) {
    super(message);
  }
}
