package io.github.wsproxy.soak;

import io.github.wsproxy.soak.SoakStats.Count;
import io.github.wsproxy.testing.TestUpstream;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Echo upstreams that check every message's checksum before echoing it, and that a chaos thread
 * restarts at random on the same port: gracefully ({@link TestUpstream#close()}, 1001 to every
 * connection) or as a crash (every connection reset first).
 *
 * <p>They listen on ports below the kernel's ephemeral range: while an upstream is down, a port of
 * that range may be given to an outgoing connection (the proxy's, a client's), and the upstream
 * could not listen on it again until that connection ends.
 */
final class ChaosUpstreams implements AutoCloseable {
  /** The lowest port an upstream listens on. */
  private static final int LOWEST_PORT = 20_000;
  private static final int PORT_ATTEMPTS = 20;
  /** How long a restarted upstream may wait for its port (the old server's socket closing). */
  private static final Duration REBIND_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration REBIND_PAUSE = Duration.ofMillis(100);

  private final SoakStats stats;
  private final SessionJournal journal;
  private final int[] ports;
  private final AtomicReferenceArray<TestUpstream> live;
  private ScheduledThreadPoolExecutor chaos;
  private final AtomicLong changes = new AtomicLong();
  private volatile boolean stopped;

  ChaosUpstreams(int count, SoakStats stats, SessionJournal journal) throws IOException {
    this.stats = stats;
    this.journal = journal;
    this.ports = new int[count];
    this.live = new AtomicReferenceArray<>(count);
    SplittableRandom random = new SplittableRandom();
    for (int i = 0; i < count; i++) {
      TestUpstream upstream = startBelowEphemeralPorts(i, random);
      ports[i] = upstream.port();
      live.set(i, upstream);
    }
  }

  /** Starts upstream {@code i} on a free port below the ephemeral range, tried at random. */
  private TestUpstream startBelowEphemeralPorts(int i, SplittableRandom random) throws IOException {
    int ephemeralStart = ephemeralPortsStart();
    for (int attempt = 1; ; attempt++) {
      try {
        return echo(i, LOWEST_PORT + random.nextInt(ephemeralStart - LOWEST_PORT)).start();
      } catch (IOException e) {
        if (!(e.getCause() instanceof BindException) || attempt == PORT_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /** The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
  private static int ephemeralPortsStart() {
    try {
      String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
      return Math.max(LOWEST_PORT + 1000, Integer.parseInt(range.split("\\s+")[0]));
    } catch (IOException | RuntimeException e) {
      return 32768;
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
    chaos = new ScheduledThreadPoolExecutor(1, r -> {
      Thread thread = new Thread(r, "soak-chaos");
      thread.setDaemon(true);
      return thread;
    });
    chaos.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    for (int i = 0; i < ports.length; i++) {
      scheduleRestart(i, random.split(), uptime);
    }
  }

  /**
   * Stops restarting (a restart under way finishes: interrupted, it would not wait for the old
   * server to let go of its port), and brings back any upstream that is down.
   */
  void stopChaos() throws InterruptedException, IOException {
    stopped = true;
    if (chaos != null) {
      chaos.shutdown();
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
            found.add("upstream " + i + " conn " + conn.index() + " " + conn.state());
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

  /**
   * Starts upstream {@code i} again on its port, retrying while the port is taken: an old server
   * whose threads did not end in time (a loaded machine) may still hold it for a moment.
   */
  private void startAgain(int i) throws IOException {
    long deadline = System.nanoTime() + REBIND_TIMEOUT.toNanos();
    while (true) {
      try {
        live.set(i, echo(i, ports[i]).start());
        return;
      } catch (IOException e) {
        if (!(e.getCause() instanceof BindException) || System.nanoTime() - deadline > 0) {
          throw e;
        }
        LockSupport.parkNanos(REBIND_PAUSE.toNanos());
      }
    }
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
