package io.github.wsproxy.soak;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.CloseInfo;
import io.github.wsproxy.HealthCheck;
import io.github.wsproxy.Interceptor;
import io.github.wsproxy.ProxyConnection;
import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.UpstreamState;
import io.github.wsproxy.WsProxy;
import io.github.wsproxy.soak.SoakStats.Count;
import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.WireFrame;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Soak and chaos: hundreds of clients connect through one proxy to a group of three upstreams,
 * send checksummed, numbered messages, and vanish, close or misbehave at random, while the
 * upstreams restart at random (gracefully or as a crash). Every echo must be the message due,
 * intact; every client must learn that its connection ended; afterwards the proxy holds no
 * connection and the JVM's threads, file descriptors and heap are back to their baseline.
 *
 * <p>Short by default (15 s of chaos, 200 clients); longer with {@code -Dwsproxy.soak.seconds=600
 * -Dwsproxy.soak.clients=500} ({@code -Dwsproxy.soak.seed=N} repeats a run's random choices, not its timing).
 * A quarter of the clients are raw sockets, each on a thread of its own; the others are JDK
 * WebSocket clients on four threads.
 */
@Tag("soak")
class SoakTest {
  private static final int SECONDS = Integer.getInteger("wsproxy.soak.seconds", 15);
  private static final int CLIENTS = Integer.getInteger("wsproxy.soak.clients", 200);
  private static final long SEED = Long.getLong("wsproxy.soak.seed", System.nanoTime());
  private static final Duration UPTIME = Duration.ofSeconds(3);
  /** The proxy's; a stopping upstream accepts connections it never answers, and clients wait longer. */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration SETTLE = Duration.ofSeconds(20);
  private static final int EVENT_LOOPS = 2;
  private static final int THREAD_TOLERANCE = 2;
  private static final int FD_TOLERANCE = 8;
  private static final long HEAP_TOLERANCE = 4L << 20;
  /**
   * What the event loops' buffer pools may keep idle (64 buffers of 64 KiB each): the relays' pool,
   * and on io_uring the transport's send buffers (the relays' pool also serves its bulk receives,
   * so both fill up under load); plus 1 MiB.
   */
  private static final long DIRECT_TOLERANCE = EVENT_LOOPS * 2 * 64 * 64 * 1024L + (1L << 20);

  private final SoakStats stats = new SoakStats();
  private final SplittableRandom seeds = new SplittableRandom(SEED);
  private final AtomicLong sessionIds = new AtomicLong();
  private final SessionJournal journal = new SessionJournal();
  private final LiveConnections live = new LiveConnections(stats, journal);

  @Test
  void everyAcknowledgedMessageArrivesIntactAndNothingLeaksWhileClientsAndUpstreamsFail() throws Exception {
    long started = System.nanoTime();
    try (ChaosUpstreams upstreams = new ChaosUpstreams(3, stats, journal)) {
      UpstreamGroup.Builder group = UpstreamGroup.builder()
          .maxFails(1)
          .failTimeout(Duration.ofMillis(500))
          .healthCheck(HealthCheck.webSocket("/health").interval(Duration.ofMillis(500)).timeout(Duration.ofSeconds(1)));
      for (URI uri : upstreams.uris()) {
        group.server(uri, 1);
      }
      WsProxy proxy = WsProxy.builder()
          .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
          .upstream(group.build())
          .eventLoops(EVENT_LOOPS)
          .closeTimeout(Duration.ofSeconds(2))
          .connectTimeout(CONNECT_TIMEOUT)
          .interceptor(live)
          .build();
      proxy.start();
      try {
        runClients(proxy, upstreams, Duration.ofSeconds(2), Math.min(CLIENTS, 40));
        upstreams.renew();
        settle(proxy, upstreams);
        Resources baseline = Resources.now();
        stats.resetCounts();

        Resources after = null;
        try {
          upstreams.startChaos(seeds.split(), UPTIME);
          runClients(proxy, upstreams, Duration.ofSeconds(SECONDS), CLIENTS);
          upstreams.stopChaos();
          settle(proxy, upstreams);
          stillServes(proxy);
          upstreams.renew();
          settle(proxy, upstreams);
          after = awaitBaseline(baseline, proxy.port());
        } finally {
          System.out.printf("SOAK seed=%d clients=%d seconds=%d took=%ds %s leaks=%s%nSOAK baseline: %s%nSOAK after:    %s%n",
              SEED, CLIENTS, SECONDS, (System.nanoTime() - started) / 1_000_000_000L, stats.summary(),
              after == null ? "not-settled" : "none", baseline, after == null ? Resources.now() + " (not settled)" : after);
          stats.problems().forEach(p -> System.out.println("SOAK problem: " + p));
        }
        assertThat(stats.problems()).as("problems found by the soak (seed " + SEED + ")").isEmpty();
        assertThat(stats.get(Count.CONNECTED)).as("connections").isGreaterThan(CLIENTS);
        assertThat(stats.get(Count.ACKED)).as("acknowledged messages").isPositive()
            .isLessThanOrEqualTo(stats.get(Count.UPSTREAM_INTACT));
        assertThat(stats.get(Count.UPSTREAM_GRACEFUL_RESTARTS) + stats.get(Count.UPSTREAM_CRASHES))
            .as("upstream restarts").isPositive();
      } finally {
        proxy.close();
      }
    }
  }

  /**
   * Runs {@code clients} client slots, each starting session after session, for {@code duration};
   * returns once every session is over and the JDK client's threads are gone.
   */
  private void runClients(WsProxy proxy, ChaosUpstreams upstreams, Duration duration, int clients) throws Exception {
    ExecutorService httpThreads = Executors.newFixedThreadPool(4, named("soak-http"));
    Set<Thread> selectors = runSessions(proxy, upstreams, duration, clients, httpThreads);
    // The JDK's HttpClient (Java 17) has no close(): its selector thread ends once the client is
    // unreachable and every WebSocket of it is closed.
    Await.until(() -> {
      Resources.polled();
      return selectors.stream().noneMatch(Thread::isAlive);
    }, SETTLE, "the HttpClient's selector thread ended (every JDK WebSocket closed)");
    httpThreads.shutdown();
    assertThat(httpThreads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  /** Runs the sessions on an HttpClient of its own; returns that client's selector thread. */
  private Set<Thread> runSessions(WsProxy proxy, ChaosUpstreams upstreams, Duration duration, int clients,
      ExecutorService httpThreads)
      throws InterruptedException {
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(named("soak-timers"));
    int raw = Math.max(1, clients / 4);
    ExecutorService rawThreads = Executors.newFixedThreadPool(raw, named("soak-raw"));
    Set<Thread> before = Resources.threadsNamed("SelectorManager");
    HttpClient http = HttpClient.newBuilder().executor(httpThreads).build();
    Set<Thread> selectors = new HashSet<>(Resources.threadsNamed("SelectorManager"));
    selectors.removeAll(before);
    SoakContext ctx = new SoakContext(stats, proxy.port(), http, timers, SESSION_TIMEOUT, upstreams, proxy, journal);
    long end = System.nanoTime() + duration.toNanos();
    AtomicInteger running = new AtomicInteger();
    for (int i = 0; i < clients - raw; i++) {
      running.incrementAndGet();
      timers.execute(() -> nextJdkSession(ctx, end, running));
    }
    for (int i = 0; i < raw; i++) {
      rawThreads.execute(() -> {
        while (System.nanoTime() - end < 0) {
          new RawSession(ctx, sessionIds.incrementAndGet(), nextRandom()).run();
        }
      });
    }
    rawThreads.shutdown();
    Duration drain = duration.plus(SESSION_TIMEOUT).plusSeconds(10);
    assertThat(rawThreads.awaitTermination(drain.toMillis(), TimeUnit.MILLISECONDS)).as("raw clients finished").isTrue();
    Await.until(() -> running.get() == 0, drain, "every JDK client session finished");
    timers.shutdown();
    assertThat(timers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    return selectors;
  }

  private void nextJdkSession(SoakContext ctx, long end, AtomicInteger running) {
    if (System.nanoTime() - end >= 0) {
      running.decrementAndGet();
      return;
    }
    new JdkSession(ctx, sessionIds.incrementAndGet(), nextRandom()).run()
        .whenComplete((ignored, e) -> ctx.timers().execute(() -> nextJdkSession(ctx, end, running)));
  }

  private synchronized SplittableRandom nextRandom() {
    return seeds.split();
  }

  /** The proxy and the upstreams hold no connection any more. */
  private void settle(WsProxy proxy, ChaosUpstreams upstreams) {
    Await.value(() -> proxy.connections().size() + "/" + live.open() + "/" + proxyUpstreamConnections(proxy) + "/"
            + upstreams.openConnections(), v -> v.equals("0/0/0/0"), SETTLE,
        "no open connection: proxy.connections()/opened minus closed (interceptor)/upstream states/upstreams");
  }

  private static int proxyUpstreamConnections(WsProxy proxy) {
    return proxy.upstreamStates().stream().mapToInt(UpstreamState::activeConnections).sum();
  }

  /** After the chaos a new client is served as usual. */
  private static void stillServes(WsProxy proxy) throws Exception {
    try (RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/after").statusCode()).isEqualTo(101);
      String message = SoakMessages.text(0, 0, "still here");
      client.sendFrame(WireFrame.text(message));
      assertThat(client.readFrame(Duration.ofSeconds(10)).payloadText()).isEqualTo(message);
      client.sendFrame(WireFrame.close(1000, ""));
      assertThat(client.readFrame(Duration.ofSeconds(10)).closeCode()).isEqualTo(1000);
      assertThat(client.awaitEof(Duration.ofSeconds(10))).isTrue();
    }
  }

  /** Waits until threads, descriptors and heap are back within tolerance of the baseline. */
  private static Resources awaitBaseline(Resources baseline, int port) {
    String loops = "wsproxy-loop-" + port + "-";
    return Await.value(Resources::polled, now ->
        now.proxyThreads().stream().filter(n -> n.startsWith(loops)).count() == EVENT_LOOPS
            && now.proxyThreads().size() <= baseline.proxyThreads().size()
            && now.threads() <= baseline.threads() + THREAD_TOLERANCE
            && now.fds() <= baseline.fds() + FD_TOLERANCE
            && now.heapBytes() <= baseline.heapBytes() + HEAP_TOLERANCE
            && now.directBytes() <= baseline.directBytes() + DIRECT_TOLERANCE,
        SETTLE, "threads, file descriptors and heap back to the baseline " + baseline);
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread thread = new Thread(r, prefix + "-" + n.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * Counts the proxy's open connections from its lifecycle callbacks (free: no message hook), and
   * tells the journal how each session's connection opened and closed.
   */
  private static final class LiveConnections extends Interceptor {
    private final SoakStats stats;
    private final SessionJournal journal;
    private final AtomicInteger open = new AtomicInteger();

    LiveConnections(SoakStats stats, SessionJournal journal) {
      this.stats = stats;
      this.journal = journal;
    }

    int open() {
      return open.get();
    }

    @Override
    public void onOpen(ProxyConnection connection) {
      open.incrementAndGet();
      journal.port(connection.target(), connection.remoteAddress().getPort());
      journal.note(connection.target(), "proxy", "conn " + connection.id() + " open from port "
          + connection.remoteAddress().getPort());
    }

    @Override
    public void onClose(ProxyConnection connection, CloseInfo info) {
      open.decrementAndGet();
      journal.proxyClosed(connection.target(), connection.id(), info);
      stats.seen("proxy: " + info.reason().replaceAll("[0-9]+", "#"));
      if (info.reason().startsWith("internal error")) {
        stats.problem("the proxy failed internally: " + info.reason());
      }
    }
  }
}
