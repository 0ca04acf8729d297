package io.github.wsproxy.soak;

import io.github.wsproxy.CloseInfo;
import io.github.wsproxy.testing.SocketStates;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * What happened so far to each running session, as its client, the proxy and the upstream saw it,
 * keyed by the session's request target: the report of a session that hangs says where its
 * messages or its close stopped. Only sessions between {@link #begin} and {@link #end} are
 * recorded, so the journal holds nothing once every session is over; thread-safe. A session can
 * also hear from it when the proxy closes its connection ({@link #onProxyClose}).
 */
final class SessionJournal {
  private final long origin = System.nanoTime();
  private final Map<String, Entry> running = new ConcurrentHashMap<>();

  private static final class Entry {
    final Queue<String> events = new ConcurrentLinkedQueue<>();
    /** The ports of the session's TCP connections (the client's, the proxy's to the upstream). */
    final Queue<Integer> ports = new ConcurrentLinkedQueue<>();
    volatile Consumer<CloseInfo> proxyClose;
  }

  /** Starts recording what happens to the session on {@code path}. */
  void begin(String path) {
    running.put(path, new Entry());
  }

  /** Records an event of the session on {@code path}, if it is running; {@code who} saw it. */
  void note(String path, String who, String event) {
    Entry entry = path == null ? null : running.get(path);
    if (entry != null) {
      entry.events.add((System.nanoTime() - origin) / 1_000_000 + "ms " + who + ": " + event);
    }
  }

  /** {@code listener} hears how the proxy closed the session's connection, when it does. */
  void onProxyClose(String path, Consumer<CloseInfo> listener) {
    Entry entry = running.get(path);
    if (entry != null) {
      entry.proxyClose = listener;
    }
  }

  /** The proxy closed connection {@code id} of the session on {@code path}: noted, and the session told. */
  void proxyClosed(String path, long id, CloseInfo info) {
    note(path, "proxy", "conn " + id + " closed " + info);
    Entry entry = path == null ? null : running.get(path);
    Consumer<CloseInfo> listener = entry == null ? null : entry.proxyClose;
    if (listener != null) {
      listener.accept(info);
    }
  }

  /** One of the session's TCP connections has this port at one end: the report shows its queues. */
  void port(String path, int port) {
    Entry entry = path == null ? null : running.get(path);
    if (entry != null) {
      entry.ports.add(port);
    }
  }

  /**
   * Everything recorded for the session on {@code path} so far, oldest first, and the kernel's view
   * of its TCP connections (bytes queued each way, as {@code ss} shows them).
   */
  String report(String path) {
    Entry entry = running.get(path);
    if (entry == null) {
      return "(nothing recorded)";
    }
    StringBuilder report = new StringBuilder(String.join("; ", entry.events));
    for (int port : entry.ports) {
      report.append("; sockets on port ").append(port).append(": ").append(SocketStates.of(port));
    }
    return report.toString();
  }

  /** Stops recording the session on {@code path} and forgets it. */
  void end(String path) {
    running.remove(path);
  }
}
