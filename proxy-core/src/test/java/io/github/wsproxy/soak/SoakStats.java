package io.github.wsproxy.soak;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** What the soak test counted, by kind, and the problems it found; thread-safe. */
final class SoakStats {
  private static final int KEPT_PROBLEMS = 30;

  /** Everything counted. */
  enum Count {
    SESSIONS, CONNECTED, HANDSHAKE_REFUSED, SENT, ACKED, LOST_IN_FLIGHT, PINGS,
    CLOSED_NORMALLY, ABORTED, ABORTED_MIDWAY, FIN_WITHOUT_CLOSE, HALF_HANDSHAKE, GARBAGE_HTTP, GARBAGE_FRAME,
    ENDED_BY_SERVER, JDK_MISSED_END, UPSTREAM_GRACEFUL_RESTARTS, UPSTREAM_CRASHES, UPSTREAM_INTACT, UPSTREAM_CORRUPT
  }

  private final Map<Count, LongAdder> counts = new EnumMap<>(Count.class);
  private final Map<String, LongAdder> closeCodes = new ConcurrentHashMap<>();
  private final AtomicInteger problemCount = new AtomicInteger();
  private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();

  SoakStats() {
    for (Count count : Count.values()) {
      counts.put(count, new LongAdder());
    }
  }

  void add(Count count) {
    counts.get(count).increment();
  }

  void add(Count count, long n) {
    counts.get(count).add(n);
  }

  /** Zeroes every count (problems are kept). */
  void resetCounts() {
    counts.values().forEach(LongAdder::reset);
    closeCodes.clear();
  }

  long get(Count count) {
    return counts.get(count).sum();
  }

  /** A close code (or HTTP status) some kind of client saw, e.g. {@code "server-close 1001"}. */
  void seen(String what) {
    closeCodes.computeIfAbsent(what, k -> new LongAdder()).increment();
  }

  /** Something that must not happen; the test fails if there is any. */
  void problem(String description) {
    if (problemCount.incrementAndGet() <= KEPT_PROBLEMS) {
      problems.add(description);
    }
  }

  int problemCount() {
    return problemCount.get();
  }

  List<String> problems() {
    return new ArrayList<>(problems);
  }

  /** One line with every figure, for the report. */
  String summary() {
    StringBuilder line = new StringBuilder();
    for (Count count : Count.values()) {
      line.append(count.name().toLowerCase()).append('=').append(get(count)).append(' ');
    }
    line.append("seen=").append(new TreeMap<>(closeCodes)).append(" problems=").append(problemCount());
    return line.toString();
  }
}
