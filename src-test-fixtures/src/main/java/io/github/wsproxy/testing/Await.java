package io.github.wsproxy.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waits for a condition with a deadline, re-checking it with a short, growing backoff (1 ms up to
 * 10 ms). Use it for state that offers no notification; it is not a fixed sleep: it returns as
 * soon as the condition holds.
 */
public final class Await {

  /** The timeout used by the overloads that take none: 10 seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private Await() {}

  /**
   * Returns once {@code condition} is true; checks it at once, then with backoff.
   *
   * @param condition the condition; it must be cheap and must not block
   * @param timeout how long to wait at most
   * @param description what is awaited, used in the failure message
   * @throws AssertionError naming {@code description} if the condition is still false at the
   *     deadline, or if the waiting thread is interrupted (its interrupt flag is then kept)
   */
  public static void until(BooleanSupplier condition, Duration timeout, String description) {
    Objects.requireNonNull(condition, "condition");
    long deadline = deadline(timeout);
    long backoff = MIN_BACKOFF_NANOS;
    while (!condition.getAsBoolean()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + description);
      }
      LockSupport.parkNanos(Math.min(backoff, left));
      if (Thread.currentThread().isInterrupted()) {
        throw new AssertionError("interrupted while waiting for: " + description);
      }
      backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
    }
  }

  /**
   * Like {@link #until(BooleanSupplier, Duration, String)} with {@link #DEFAULT_TIMEOUT}.
   *
   * @param condition the condition; it must be cheap and must not block
   * @param description what is awaited, used in the failure message
   */
  public static void until(BooleanSupplier condition, String description) {
    until(condition, DEFAULT_TIMEOUT, description);
  }

  /**
   * Returns the first value of {@code supplier} that satisfies {@code accept}, polling like {@link
   * #until(BooleanSupplier, Duration, String)}.
   *
   * @param <T> the value type
   * @param supplier supplies the current value; cheap and non-blocking
   * @param accept whether a value is the awaited one
   * @param timeout how long to wait at most
   * @param description what is awaited, used in the failure message (with the last value seen)
   * @return the accepted value
   * @throws AssertionError on timeout or interrupt
   */
  public static <T> T value(
      Supplier<T> supplier, Predicate<? super T> accept, Duration timeout, String description) {
    Objects.requireNonNull(supplier, "supplier");
    Objects.requireNonNull(accept, "accept");
    Object[] last = new Object[1];
    try {
      until(
          () -> {
            T value = supplier.get();
            last[0] = value;
            return accept.test(value);
          },
          timeout,
          description);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + " (last value: " + last[0] + ")");
    }
    @SuppressWarnings("unchecked")
    T result = (T) last[0];
    return result;
  }

  /**
   * The {@link System#nanoTime()} deadline {@code timeout} from now, saturated so that huge
   * timeouts do not overflow.
   *
   * @param timeout a non-negative duration
   * @return the deadline in {@code System.nanoTime()} units
   */
  static long deadline(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative: " + timeout);
    }
    long nanos;
    try {
      nanos = timeout.toNanos();
    } catch (ArithmeticException e) {
      nanos = Long.MAX_VALUE / 4;
    }
    return System.nanoTime() + Math.min(nanos, Long.MAX_VALUE / 4);
  }
}
