package io.github.wsproxy;

import static io.github.wsproxy.Resources.uri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.Background;
import io.github.wsproxy.testing.EchoReport;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.RecordedClose;
import io.github.wsproxy.testing.TestUpstream;
import io.github.wsproxy.testing.WireFrame;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Replacing upstreams and routes on a running proxy, draining removed servers, shutdown with a grace period. */
class ReconfigurationTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @RegisterExtension
  final Resources resources = new Resources();
  private TestUpstream a;
  private TestUpstream b;
  private TestUpstream c;
  private TestUpstream d;

  @BeforeEach
  void startUpstreams() throws Exception {
    a = resources.echo();
    b = resources.echo();
    c = resources.echo();
    d = resources.echo();
  }

  @Test
  void fiftyClientsKeepEchoingWhileTheConfigurationIsReplacedFiveTimes() throws Exception {
    WsProxy proxy = resources.proxy(p -> p.upstream(group(a, b)));
    List<JdkTestClient> clients = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      clients.add(resources.track(JdkTestClient.connect(uri(proxy, "/live?client=" + i))));
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong echoed = new AtomicLong();
    List<String> mismatches = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> traffic = Background.run(() -> {
      for (int round = 0; !stop.get(); round++) {
        for (int i = 0; i < clients.size(); i++) {
          send(clients.get(i), "c" + i + "-" + round);
        }
        for (int i = 0; i < clients.size(); i++) {
          String expected = "c" + i + "-" + round;
          String got = awaitEcho(proxy, clients.get(i), "/live?client=" + i, expected);
          if (expected.equals(got)) {
            echoed.incrementAndGet();
          } else {
            mismatches.add(expected + " came back as " + got);
          }
        }
      }
    });

    List<List<TestUpstream>> configurations = List.of(List.of(c), List.of(d), List.of(a, b), List.of(c, d), List.of(a));
    for (List<TestUpstream> servers : configurations) {
      long before = echoed.get();
      Await.until(() -> echoed.get() >= before + 100 || traffic.isDone(), DEADLINE.multipliedBy(2), "traffic before the swap");
      failIfFailed(traffic);
      proxy.replaceUpstream(group(servers.toArray(new TestUpstream[0])));
      int[] counts = handshakeCounts();
      resources.track(JdkTestClient.connect(uri(proxy, "/new"))).close();
      assertThat(landedOn(counts)).as("new connection after swapping to %s", servers).isIn(servers);
    }
    long afterLastSwap = echoed.get();
    Await.until(() -> echoed.get() >= afterLastSwap + 100 || traffic.isDone(), DEADLINE.multipliedBy(2), "traffic after the swaps");
    failIfFailed(traffic);
    stop.set(true);
    traffic.get();

    assertThat(mismatches).isEmpty();
    assertThat(echoed.get()).isGreaterThanOrEqualTo(afterLastSwap + 100);
    assertThat(clients).allSatisfy(client -> assertThat(client.isInputClosed()).isFalse());
    assertThat(liveOn(a, "/live") + liveOn(b, "/live")).isEqualTo(50);
    assertThat(c.handshakes()).extracting(h -> h.resource()).containsOnly("/new");
    assertThat(d.handshakes()).extracting(h -> h.resource()).containsOnly("/new");
  }

  @Test
  void serversThatRemainKeepTheirConnectionCounts() throws Exception {
    WsProxy proxy = resources.proxy(p -> p.upstream(group(a, b)));
    resources.track(JdkTestClient.connect(uri(proxy, "/")));
    resources.track(JdkTestClient.connect(uri(proxy, "/")));

    proxy.replaceUpstream(group(a, c));

    assertThat(proxy.upstreamStates()).extracting(UpstreamState::url, UpstreamState::activeConnections)
        .containsExactly(tuple(a.uri(), 1), tuple(c.uri(), 0));
    assertThat(proxy.upstreamGroup().servers()).extracting(UpstreamGroup.Server::url).containsExactly(a.uri(), c.uri());
  }

  @Test
  void routesAreReplacedLiveAndExistingConnectionsStayOnTheirUpstream() throws Exception {
    WsProxy proxy = resources.proxy(p -> p.route(Route.builder("chat").path("/chat").upstream(group(a)).build()));
    JdkTestClient old = resources.track(JdkTestClient.connect(uri(proxy, "/chat")));

    proxy.replaceRoutes(List.of(
        Route.builder("chat").path("/chat").upstream(group(b)).build(),
        Route.builder("news").path("/news").upstream(group(c)).build()));

    int[] counts = handshakeCounts();
    resources.track(JdkTestClient.connect(uri(proxy, "/chat")));
    assertThat(landedOn(counts)).isSameAs(b);
    counts = handshakeCounts();
    resources.track(JdkTestClient.connect(uri(proxy, "/news")));
    assertThat(landedOn(counts)).isSameAs(c);
    old.sendText("still on a");
    assertThat(old.awaitText(DEADLINE)).isEqualTo("still on a");
    assertThat(a.receivedTexts()).containsExactly("still on a");
    assertThat(proxy.routes()).extracting(Route::name).containsExactly("chat", "news");
    assertThat(proxy.upstreamStates("chat")).extracting(UpstreamState::url, UpstreamState::activeConnections)
        .containsExactly(tuple(b.uri(), 1));
    assertThat(proxy.upstreamStates("gone")).isEmpty();
    assertThatIllegalArgumentException().isThrownBy(() -> proxy.reconfigure(null, List.of()))
        .withMessageContaining("upstream");
  }

  @Test
  void withoutADrainTimeoutConnectionsToARemovedServerStay() throws Exception {
    WsProxy proxy = resources.proxy(p -> p.upstream(group(a, b)));
    List<JdkTestClient> clients = connectMany(proxy, 4);

    proxy.replaceUpstream(group(b));
    for (int i = 0; i < 4; i++) {
      resources.track(JdkTestClient.connect(uri(proxy, "/")));
    }

    assertThat(a.handshakes()).hasSize(2);
    assertThat(b.handshakes()).hasSize(6);
    for (JdkTestClient client : clients) {
      client.sendText("still open");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("still open");
    }
    assertThat(a.openConnections()).isEqualTo(2);
  }

  @Test
  void drainingClosesTheRemovedServersConnectionsWith1001SpreadOverTheWindow() throws Exception {
    Duration drainTimeout = Duration.ofMillis(300);
    WsProxy proxy = resources.proxy(p -> p.upstream(group(a, b)).eventLoops(1)
        .drainTimeout(drainTimeout).closeSpread(Duration.ofSeconds(1)));
    List<JdkTestClient> onA = new ArrayList<>();
    List<JdkTestClient> onB = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      int[] counts = handshakeCounts();
      JdkTestClient client = resources.track(JdkTestClient.connect(uri(proxy, "/")));
      (landedOn(counts) == a ? onA : onB).add(client);
    }
    assertThat(onA).hasSize(5);

    long swapped = System.nanoTime();
    proxy.replaceUpstream(group(b));
    List<CompletableFuture<Long>> closedAt = new ArrayList<>();
    for (JdkTestClient client : onA) {
      closedAt.add(Background.supply(() -> {
        RecordedClose close = client.awaitClose(DEADLINE);
        assertThat(close.code()).isEqualTo(1001);
        assertThat(close.reason()).isEqualTo("upstream server removed");
        return System.nanoTime();
      }));
    }
    int[] counts = handshakeCounts();
    resources.track(JdkTestClient.connect(uri(proxy, "/")));
    assertThat(landedOn(counts)).isSameAs(b);
    List<Long> times = new ArrayList<>();
    for (CompletableFuture<Long> time : closedAt) {
      times.add(time.get());
    }

    long first = Collections.min(times);
    long last = Collections.max(times);
    assertThat(Duration.ofNanos(first - swapped)).isGreaterThanOrEqualTo(drainTimeout);
    assertThat(Duration.ofNanos(last - first)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
    a.awaitCloses(5, DEADLINE).forEach(close -> assertThat(close.code()).isEqualTo(1001));
    for (JdkTestClient client : onB) {
      client.sendText("kept");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("kept");
    }
  }

  @Test
  void shutdownLetsAConnectionFinishWithinTheGraceAndClosesTheOtherWith1001AfterIt() throws Exception {
    Duration grace = Duration.ofMillis(800);
    WsProxy proxy = resources.proxy(p -> p.upstream(group(a)));
    JdkTestClient finishing = JdkTestClient.connect(uri(proxy, "/"));
    JdkTestClient lingering = resources.track(JdkTestClient.connect(uri(proxy, "/")));
    int proxyPort = proxy.port();

    long started = System.nanoTime();
    CompletableFuture<Void> shutdown = Background.run(() -> proxy.shutdown(grace));
    Await.until(() -> refused(proxyPort), DEADLINE, "the proxy stops accepting");
    finishing.sendText("last words");
    assertThat(finishing.awaitText(DEADLINE)).isEqualTo("last words");
    finishing.close();
    RecordedClose finished = a.awaitCloses(1, DEADLINE).get(0);
    RecordedClose closed = lingering.awaitClose(DEADLINE);
    long closedAfter = System.nanoTime() - started;
    shutdown.get();

    assertThat(finished.code()).isEqualTo(1000);
    assertThat(closed.code()).isEqualTo(1001);
    assertThat(Duration.ofNanos(closedAfter)).isGreaterThanOrEqualTo(grace);
    assertThat(a.awaitCloses(2, DEADLINE).get(1).code()).isEqualTo(1001);
    assertThat(a.handshakes()).hasSize(2);
  }

  @Test
  void aShutdownClosesTheUpstreamFirstSoWhatItSentBeforeItsCloseReplyStillReachesTheClient() throws Exception {
    RawUpstream upstream = resources.track(RawUpstream.start(c -> {
      c.accept(c.readRequest());
      WireFrame message = c.readFrame(DEADLINE);
      WireFrame close = c.readFrame(DEADLINE);
      // the proxy's 1001 arrived while the answer was being prepared: the answer still goes first
      c.sendFrame(WireFrame.text("answer to " + message.payloadText()));
      c.sendFrame(close.unmaskedCopy());
    }));
    WsProxy proxy = resources.proxy(p -> p.upstream(upstream.uri().toString()));
    JdkTestClient client = resources.track(JdkTestClient.connect(uri(proxy, "/")));
    client.sendText("question");
    Await.until(() -> upstream.receivedFrames().size() == 1, DEADLINE, "the upstream took the message");

    proxy.shutdown(Duration.ZERO);

    assertThat(client.awaitText(DEADLINE)).isEqualTo("answer to question");
    assertThat(client.awaitClose(DEADLINE).code()).isEqualTo(1001);
    assertThat(upstream.receivedFrames()).extracting(WireFrame::opcode).containsExactly(WireFrame.TEXT, WireFrame.CLOSE);
    assertThat(upstream.receivedFrames().get(1).closeReason()).isEqualTo("proxy shutting down");
  }

  @Test
  void drainAndSpreadSettingsAreChecked() {
    assertThatIllegalArgumentException().isThrownBy(() -> WsProxy.builder().drainTimeout(Duration.ofSeconds(-1)))
        .withMessageContaining("drainTimeout");
    assertThatIllegalArgumentException().isThrownBy(() -> WsProxy.builder().closeSpread(Duration.ofSeconds(-1)))
        .withMessageContaining("closeSpread");
    WsProxy proxy = WsProxy.builder().upstream(a.uri()).build();
    proxy.close();
    assertThatThrownBy(() -> proxy.replaceUpstream(group(b))).isInstanceOf(IllegalStateException.class);
  }

  private List<JdkTestClient> connectMany(WsProxy proxy, int n) throws IOException {
    List<JdkTestClient> clients = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      clients.add(resources.track(JdkTestClient.connect(uri(proxy, "/"))));
    }
    return clients;
  }

  /** Whether a TCP connect to the port is refused (a raw socket: an accepted probe never reaches the upstream). */
  private static boolean refused(int port) {
    try (Socket probe = new Socket("127.0.0.1", port)) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** Open connections on {@code upstream} to {@code path}, whatever their query. */
  private static long liveOn(TestUpstream upstream, String path) {
    return upstream.liveConnections().stream()
        .filter(conn -> conn.resource().equals(path) || conn.resource().startsWith(path + "?")).count();
  }

  /**
   * The client's next message; if none comes within {@link #DEADLINE}, fails with where {@code
   * sent} went: the proxy's and the upstreams' view of the client's connection, and its sockets.
   */
  private String awaitEcho(WsProxy proxy, JdkTestClient client, String target, String sent) {
    String echo = client.pollText(DEADLINE);
    if (echo == null) {
      throw new AssertionError("no echo of " + sent + " within " + DEADLINE + " (client input closed: "
          + client.isInputClosed() + "); " + EchoReport.lostEcho(sent,
              proxy.connections().stream().filter(c -> target.equals(c.target())).toList(), List.of(a, b, c, d)));
    }
    return echo;
  }

  /** Rethrows what ended the traffic, if it failed (e.g. an echo that never came). */
  private static void failIfFailed(CompletableFuture<Void> traffic) {
    if (traffic.isCompletedExceptionally()) {
      traffic.join();
    }
  }

  private static void send(JdkTestClient client, String text) {
    try {
      client.sendText(text);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private int[] handshakeCounts() {
    return new int[] {a.handshakes().size(), b.handshakes().size(), c.handshakes().size(), d.handshakes().size()};
  }

  /** The one upstream that got exactly one more handshake than {@code before}. */
  private TestUpstream landedOn(int[] before) {
    int[] now = handshakeCounts();
    List<TestUpstream> all = List.of(a, b, c, d);
    TestUpstream landed = null;
    for (int i = 0; i < now.length; i++) {
      if (now[i] != before[i]) {
        assertThat(landed).as("only one upstream got a handshake").isNull();
        assertThat(now[i]).isEqualTo(before[i] + 1);
        landed = all.get(i);
      }
    }
    return landed;
  }


  private static UpstreamGroup group(TestUpstream... servers) {
    UpstreamGroup.Builder group = UpstreamGroup.builder();
    for (TestUpstream server : servers) {
      group.server(server.uri(), 1);
    }
    return group.build();
  }


}
