package io.github.wsproxy;

import io.github.wsproxy.internal.config.Checks;
import java.time.Duration;
import java.util.Objects;

/**
 * An active health check for the servers of an {@link UpstreamGroup}: every {@link #interval()},
 * each server is probed, without blocking and without a thread per server (the probes run on one
 * of the proxy's event loops). A failed probe marks the server {@link UpstreamState.Health#DOWN}
 * (no new connections go to it); a successful one marks it up again. Open connections are never
 * touched by a probe. Immutable.
 *
 * <ul>
 *   <li>{@link #webSocket(String)}: a WebSocket handshake on the given path; the probe succeeds on
 *       a {@code 101} and then closes with 1000, anything else (another status, no answer within
 *       {@link #timeout()}, refused connection) fails.
 *   <li>{@link #tcp()}: a TCP connect; succeeds when the connection is accepted.
 * </ul>
 */
public final class HealthCheck {
  private static final Duration TICK = Duration.ofMillis(100);
  private final String path;
  private final Duration interval;
  private final Duration timeout;

  private HealthCheck(String path, Duration interval, Duration timeout) {
    this.path = path;
    this.interval = interval;
    this.timeout = timeout;
  }

  /**
   * Probes with a WebSocket handshake on {@code path} (such as {@code /health}); 5 s interval, 2 s
   * timeout.
   *
   * @param path the path probed; starts with {@code /}, printable ASCII
   * @return a WebSocket handshake check
   */
  public static HealthCheck webSocket(String path) {
    Objects.requireNonNull(path, "healthCheck path");
    if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= 32 || c >= 127)) {
      throw new IllegalArgumentException("healthCheck path must start with / and be printable ASCII: \"" + path + "\"");
    }
    return new HealthCheck(path, Duration.ofSeconds(5), Duration.ofSeconds(2));
  }

  /**
   * Probes with a TCP connect; 5 s interval, 2 s timeout.
   *
   * @return a TCP connect check
   */
  public static HealthCheck tcp() {
    return new HealthCheck(null, Duration.ofSeconds(5), Duration.ofSeconds(2));
  }

  /**
   * A copy probing every {@code interval} (at least 100 ms: the event loops' tick).
   *
   * @param interval the time between probes; at least 100 ms
   * @return a copy of this check with that interval
   */
  public HealthCheck interval(Duration interval) {
    return new HealthCheck(path, Checks.atLeast("healthCheck interval", TICK, interval), timeout);
  }

  /**
   * A copy whose probes fail when not answered within {@code timeout} (at least 100 ms).
   *
   * @param timeout the time a probe may take; at least 100 ms
   * @return a copy of this check with that timeout
   */
  public HealthCheck timeout(Duration timeout) {
    return new HealthCheck(path, interval, Checks.atLeast("healthCheck timeout", TICK, timeout));
  }

  /**
   * The handshake path, or null for a TCP check.
   *
   * @return the path probed, or null
   */
  public String path() {
    return path;
  }

  /**
   * Whether this is a TCP connect check.
   *
   * @return true for a TCP connect check, false for a WebSocket handshake check
   */
  public boolean isTcp() {
    return path == null;
  }

  /**
   * Time between the starts of two probes of a server.
   *
   * @return the probe interval
   */
  public Duration interval() {
    return interval;
  }

  /**
   * Time a probe may take.
   *
   * @return the probe timeout
   */
  public Duration timeout() {
    return timeout;
  }

  @Override
  public String toString() {
    return (path == null ? "tcp" : "ws:" + path) + " every " + interval + " timeout " + timeout;
  }
}
