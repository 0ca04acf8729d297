package io.github.wsproxy.soak;

import io.github.wsproxy.soak.SoakStats.Count;
import io.github.wsproxy.testing.TestUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * Echo upstreams that check every message's checksum before echoing it, and that a chaos thread
 * restarts at random on the same port: gracefully ({@link TestUpstream#close()}, 1001 to every
 * connection) or as a crash (every connection reset first).
 */
final class ChaosUpstreams implements AutoCloseable {
  private final SoakStats stats;
  private final SessionJournal journal;
  private final int[] ports;
  private final AtomicReferenceArray<TestUpstream> live;
  private ScheduledExecutorService chaos;
  private final AtomicLong changes = new AtomicLong();
  private volatile boolean stopped;

  ChaosUpstreams(int count, SoakStats stats, SessionJournal journal) throws IOException {
    this.stats = stats;
    this.journal = journal;
    this.ports = new int[count];
    this.live = new AtomicReferenceArray<>(count);
    for (int i = 0; i < count; i++) {
      TestUpstream upstream = echo(i, 0).start();
      ports[i] = upstream.port();
      live.set(i, upstream);
    }
  }

  List<URI> uris() {
    List<URI> uris = new ArrayList<>();
    for (int port : ports) {
      uris.add(URI.create("ws://127.0.0.1:" + port));
    }
    return uris;
  }

  /** Restarts each upstream after a random uptime in {@code [uptime/2, uptime*3/2)}, again and again. */
  void startChaos(SplittableRandom random, Duration uptime) {
    chaos = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "soak-chaos");
      thread.setDaemon(true);
      return thread;
    });
    for (int i = 0; i < ports.length; i++) {
      scheduleRestart(i, random.split(), uptime);
    }
  }

  /** Stops restarting, and brings back any upstream that is down. */
  void stopChaos() throws InterruptedException, IOException {
    stopped = true;
    if (chaos != null) {
      chaos.shutdownNow();
      if (!chaos.awaitTermination(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the chaos thread did not stop");
      }
    }
    for (int i = 0; i < ports.length; i++) {
      if (live.get(i) == null) {
        startAgain(i);
      }
    }
  }

  /** Replaces every upstream by a fresh one, dropping what the old ones recorded. */
  void renew() throws IOException {
    for (int i = 0; i < ports.length; i++) {
      live.getAndSet(i, null).close();
      startAgain(i);
    }
  }

  /**
   * How often an upstream went down or came back so far: a connection that saw this change may
   * have been cut by a restart.
   */
  long changes() {
    return changes.get();
  }

  /** Whether an upstream is restarting now (stopping, down, or starting). */
  boolean restarting() {
    for (int i = 0; i < ports.length; i++) {
      if (live.get(i) == null) {
        return true;
      }
    }
    return false;
  }

  /** Open connections on all upstreams (those that are up). */
  int openConnections() {
    int open = 0;
    for (int i = 0; i < ports.length; i++) {
      TestUpstream upstream = live.get(i);
      open += upstream == null ? 0 : upstream.openConnections();
    }
    return open;
  }

  /** What the live upstreams hold of the connections whose request target is {@code path}. */
  String connectionsTo(String path) {
    List<String> found = new ArrayList<>();
    for (int i = 0; i < ports.length; i++) {
      TestUpstream upstream = live.get(i);
      if (upstream != null) {
        for (TestUpstream.Conn conn : upstream.connections()) {
          if (path.equals(conn.resource())) {
            found.add("upstream " + i + " conn " + conn.index() + (conn.isOpen() ? " open" : " not open")
                + (conn.hasUnsentOutput() ? ", output not written" : ""));
          }
        }
      }
    }
    return found.toString();
  }

  @Override
  public void close() {
    stopped = true;
    if (chaos != null) {
      chaos.shutdownNow();
    }
    for (int i = 0; i < ports.length; i++) {
      TestUpstream upstream = live.getAndSet(i, null);
      if (upstream != null) {
        upstream.close();
      }
    }
  }

  private void scheduleRestart(int i, SplittableRandom random, Duration uptime) {
    long millis = uptime.toMillis() / 2 + random.nextLong(Math.max(1, uptime.toMillis()));
    chaos.schedule(() -> restart(i, random, uptime), millis, TimeUnit.MILLISECONDS);
  }

  private void restart(int i, SplittableRandom random, Duration uptime) {
    if (stopped) {
      return;
    }
    TestUpstream old = live.getAndSet(i, null);
    changes.incrementAndGet();
    if (random.nextInt(3) == 0) {
      stats.add(Count.UPSTREAM_CRASHES);
      old.resetAll();
    } else {
      stats.add(Count.UPSTREAM_GRACEFUL_RESTARTS);
    }
    old.close();
    chaos.schedule(() -> {
      if (stopped) {
        return;
      }
      try {
        startAgain(i);
        changes.incrementAndGet();
      } catch (IOException e) {
        stats.problem("upstream " + i + " did not start again: " + e);
        return;
      }
      scheduleRestart(i, random, uptime);
    }, random.nextInt(400), TimeUnit.MILLISECONDS);
  }

  private void startAgain(int i) throws IOException {
    live.set(i, echo(i, ports[i]).start());
  }

  /** Upstream {@code i}'s echo server, on {@code port} (0: any). */
  private TestUpstream echo(int i, int port) {
    return TestUpstream.builder()
        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
        .onOpen(conn -> {
          journal.port(conn.resource(), conn.remoteAddress().getPort());
          note(conn, i, "open");
        })
        .onText((conn, text) -> {
          check(SoakMessages.intact(text), conn, () -> "text of " + text.length() + " chars: "
              + text.substring(0, Math.min(60, text.length())));
          echo(conn, i, "text #" + SoakMessages.seq(text), () -> conn.send(text));
        })
        .onBinary((conn, data) -> {
          check(SoakMessages.intact(data), conn, () -> "binary of " + data.length + " bytes: "
              + HexFormat.of().formatHex(data, 0, Math.min(24, data.length)));
          echo(conn, i, "binary #" + SoakMessages.seq(data), () -> conn.send(data));
        })
        .onClose((conn, close) -> note(conn, i, "closed " + close))
        .build();
  }

  private void check(boolean intact, TestUpstream.Conn conn, Supplier<String> message) {
    stats.add(intact ? Count.UPSTREAM_INTACT : Count.UPSTREAM_CORRUPT);
    if (!intact) {
      stats.problem("an upstream received, on " + conn.resource() + ", a message whose checksum does not match: "
          + message.get());
    }
  }

  /**
   * Echoes a message, and tells the journal. The connection may be closing (a restart, a client
   * gone): its echo is then lost, as it may be.
   */
  private void echo(TestUpstream.Conn conn, int i, String message, Runnable send) {
    try {
      send.run();
      note(conn, i, "got and echoed " + message);
    } catch (RuntimeException e) {
      // WebsocketNotConnectedException: the connection is closing
      note(conn, i, "got " + message + ", echo failed: " + e);
    }
  }

  private void note(TestUpstream.Conn conn, int i, String event) {
    journal.note(conn.resource(), "upstream " + i + " conn " + conn.index(), event);
  }
}
