package io.github.wsproxy.internal.upstream;

/**
 * The servers one connection tries, in order, until one completes the handshake (like nginx's
 * {@code proxy_next_upstream}): each server at most once, at most {@code maxTries} of them. Holds
 * the connection slot of the current server until {@link #release()}. Used on one event loop.
 */
public final class UpstreamSelection {
  private final UpstreamPool pool;
  private final String key;
  private final int maxTries;
  private final boolean[] tried;
  private final StringBuilder failures = new StringBuilder();
  private ServerState current;
  private int tries;
  /** The server to try first (a client's affinity cookie names it) while it is available; null for none. */
  private ServerState preferred;

  UpstreamSelection(UpstreamPool pool, String key, int maxTries, ServerState preferred) {
    this.pool = pool;
    this.key = key;
    this.maxTries = maxTries;
    this.tried = new boolean[pool.size()];
    this.preferred = preferred;
  }

  /** The first server to try, with its connection slot taken; null when none is available. */
  public ServerState first() {
    return next(System.nanoTime());
  }

  /**
   * The current server failed (counted for its passive health): returns the next server to try,
   * or null when none is left or the tries are used up.
   */
  public ServerState failed(String reason) {
    long now = System.nanoTime();
    failures.append(failures.length() == 0 ? "" : "; ").append(current.authority()).append(": ").append(reason);
    current.recordFailure(now);
    return tries < maxTries ? next(now) : null;
  }

  /** The current server timed out: a failure, with no further try (the connect budget is spent). */
  public void timedOut() {
    if (current != null) {
      current.recordFailure(System.nanoTime());
    }
  }

  /** The current server completed the handshake. */
  public void succeeded() {
    current.recordSuccess();
  }

  /** Gives the current server's connection slot back; idempotent. */
  public void release() {
    if (current != null) {
      current.release();
      current = null;
    }
  }

  /** The server being tried or used. */
  public ServerState current() {
    return current;
  }

  /** Servers tried so far. */
  public int tries() {
    return tries;
  }

  /** The failed tries, {@code host:port: reason; ...}, for the access log. */
  public String failures() {
    return failures.toString();
  }

  /** The status for a client no server could be chosen for: 503 when servers are at their cap, else 502. */
  public int unavailableStatus() {
    return pool.capped(System.nanoTime()) ? 503 : 502;
  }

  /** Why no server could be chosen, for the client and the log. */
  public String unavailableReason() {
    return unavailableStatus() == 503 ? "every upstream server is at its connection limit" : "no live upstream server";
  }

  private ServerState next(long now) {
    release();
    ServerState wanted = preferred;
    preferred = null;
    ServerState next = wanted != null && wanted.healthy(now) && wanted.tryAcquire() ? wanted : pool.pick(tried, key, now);
    if (next != null) {
      tried[next.index] = true;
      tries++;
      current = next;
    }
    return next;
  }
}
