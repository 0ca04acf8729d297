package io.github.wsproxy.examples.bench;

import java.net.URI;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The count of one {@link HandshakeLoad} run: its client's loops count the handshakes that
 * completed and failed and ask whether to start another, the load reads the count and stops them.
 * Thread-safe.
 */
final class HandshakeTally {
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
  private volatile boolean stopped;

  /** Counts a handshake that opened and closed. */
  void completed() {
    completed.incrementAndGet();
  }

  /** Counts a handshake that failed, keeping the first failure. */
  void failed(Throwable error) {
    failed.incrementAndGet();
    firstFailure.compareAndSet(null, error);
  }

  /** The handshakes completed so far. */
  long completedCount() {
    return completed.get();
  }

  /** Whether the loops are to end with the handshake in progress instead of starting another. */
  boolean stopped() {
    return stopped;
  }

  void stop() {
    stopped = true;
  }

  /** Throws, naming {@code target}, with the first failure as the cause, when any handshake failed. */
  void check(URI target) {
    Throwable first = firstFailure.get();
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " handshakes to " + target + " failed, the first: " + first, first);
    }
  }
}
