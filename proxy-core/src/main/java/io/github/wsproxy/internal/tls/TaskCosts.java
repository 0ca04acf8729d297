package io.github.wsproxy.internal.tls;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How long the JDK engine's delegated handshake tasks take, by their place in the handshake (the
 * first task of a session, the second, the later ones), as a moving average over the sessions of
 * one context. A kind of task whose average stays under {@link #INLINE_LIMIT_NANOS} runs on the
 * event loop, where it costs less than the hop to an executor thread and back (two wake-ups); a
 * longer one (the first task of a server handshake signs, for instance) runs off the loop. Every
 * run, inline or not, is timed, so a kind of task that becomes slow goes off the loop again.
 * Thread-safe; updates racing each other only lose a sample.
 */
public final class TaskCosts {
  /** Tasks shorter than this on average run inline. */
  static final long INLINE_LIMIT_NANOS = 100_000;
  private static final int KINDS = 3;
  /** Each new sample weighs 1/8. */
  private static final int WEIGHT_SHIFT = 3;

  private final AtomicLongArray averageNanos = new AtomicLongArray(KINDS);

  /** Starts with every kind of task off the loop until measured short. */
  public TaskCosts() {
    for (int i = 0; i < KINDS; i++) {
      averageNanos.set(i, 4 * INLINE_LIMIT_NANOS);
    }
  }

  /** Whether the {@code index}-th task batch of a session (0 for the first) should run inline. */
  boolean runInline(int index) {
    return averageNanos.get(kind(index)) < INLINE_LIMIT_NANOS;
  }

  /** Records how long the {@code index}-th task batch of a session took. */
  void record(int index, long nanos) {
    int kind = kind(index);
    long average = averageNanos.get(kind);
    averageNanos.lazySet(kind, average + ((nanos - average) >> WEIGHT_SHIFT));
  }

  private static int kind(int index) {
    return Math.min(index, KINDS - 1);
  }
}
