package io.github.wsproxy.internal.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks shared by the configuration builders (the proxy's, a route's, an upstream
 * group's, a health check's); each failure is an {@link IllegalArgumentException} naming the setting.
 */
public final class Checks {
  private Checks() {}

  /** {@code value}, if it is at least {@code min}. */
  public static int atLeast(String setting, int min, int value) {
    return (int) atLeast(setting, min, (long) value);
  }

  /** {@code value}, if it is at least {@code min}. */
  public static long atLeast(String setting, long min, long value) {
    if (value < min) {
      throw new IllegalArgumentException(setting + " must be at least " + min + ", was " + value);
    }
    return value;
  }

  /** {@code value}, if it is not null and at least {@code min}. */
  public static Duration atLeast(String setting, Duration min, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.compareTo(min) < 0) {
      throw new IllegalArgumentException(setting + " must be at least " + min.toMillis() + "ms, was " + value);
    }
    return value;
  }

  /** {@code value}, if it is not null and longer than zero. */
  public static Duration positive(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(setting + " must be positive, was " + value);
    }
    return value;
  }

  /** {@code value}, if it is not null and zero or longer. */
  public static Duration zeroOrPositive(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    return value.isZero() ? value : positive(setting, value);
  }
}
