package io.github.wsproxy;

import java.time.Duration;
import java.util.Objects;

/** Argument checks shared by the configuration builders; each failure names the setting. */
final class Checks {
  private Checks() {}

  /** {@code value}, if it is at least {@code min}. */
  static int atLeast(String setting, int min, int value) {
    if (value < min) {
      throw new IllegalArgumentException(setting + " must be at least " + min + ", was " + value);
    }
    return value;
  }

  /** {@code value}, if it is not null and at least {@code min}. */
  static Duration atLeast(String setting, Duration min, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.compareTo(min) < 0) {
      throw new IllegalArgumentException(setting + " must be at least " + min.toMillis() + "ms, was " + value);
    }
    return value;
  }
}
