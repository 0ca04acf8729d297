package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.TestUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Several real upstream servers behind one proxy: balancing, stickiness, failover, backups, caps. */
class UpstreamGroupTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private final List<AutoCloseable> resources = new ArrayList<>();
  private TestUpstream a;
  private TestUpstream b;
  private TestUpstream c;

  @BeforeEach
  void startUpstreams() throws Exception {
    a = track(TestUpstream.startEcho());
    b = track(TestUpstream.startEcho());
    c = track(TestUpstream.startEcho());
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  @Test
  void weightsThreeToOneGiveExactlyThirtyAndTenOfFortyConnections() throws Exception {
    WsProxy proxy = proxy(g -> g.server(a.uri(), 3).server(b.uri(), 1));

    for (int i = 0; i < 40; i++) {
      try (JdkTestClient client = connect(proxy, "/")) {
        client.sendText("hi");
        assertThat(client.awaitText(DEADLINE)).isEqualTo("hi");
      }
    }

    assertThat(a.handshakes()).hasSize(30);
    assertThat(b.handshakes()).hasSize(10);
  }

  @Test
  void leastConnectionsSendsANewConnectionToTheIdleServer() throws Exception {
    WsProxy proxy = proxy(g -> g.server(a.uri(), 1).server(b.uri(), 1).server(c.uri(), 1)
        .balance(Balance.leastConnections()));
    List<TestUpstream> servers = List.of(a, b, c);
    List<JdkTestClient> clients = new ArrayList<>();
    List<TestUpstream> landedOn = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int[] before = handshakeCounts(servers);
      clients.add(track(connect(proxy, "/")));
      landedOn.add(servers.get(changed(before, handshakeCounts(servers))));
    }
    assertThat(landedOn).containsExactlyInAnyOrder(a, b, c);

    // Round-robin would go back to the first server; least-connections must pick the one left idle.
    TestUpstream idle = landedOn.get(1);
    clients.get(1).close();
    awaitActive(proxy, idle.uri(), 0);
    int[] before = handshakeCounts(servers);
    track(connect(proxy, "/"));

    assertThat(servers.get(changed(before, handshakeCounts(servers)))).isSameAs(idle);
    assertThat(proxy.upstreamStates()).extracting(UpstreamState::activeConnections).containsExactly(1, 1, 1);
  }

  @Test
  void hashOnAHeaderKeepsEachUserOnOneServer() throws Exception {
    WsProxy proxy = proxy(g -> three(g).balance(Balance.hashHeader("X-User")));
    assertSticky(proxy, user -> "/", user -> Map.of("X-User", user));
  }

  @Test
  void hashOnACookieKeepsEachSessionOnOneServer() throws Exception {
    WsProxy proxy = proxy(g -> three(g).balance(Balance.hashCookie("sid")));
    assertSticky(proxy, user -> "/", user -> Map.of("Cookie", "theme=dark; sid=" + user));
  }

  @Test
  void hashOnAQueryParameterKeepsEachRoomOnOneServer() throws Exception {
    WsProxy proxy = proxy(g -> three(g).balance(Balance.hashQuery("room")));
    assertSticky(proxy, room -> "/chat?x=1&room=" + room, room -> Map.of());
  }

  @Test
  void hashOnTheClientIpKeepsAClientOnOneServer() throws Exception {
    WsProxy proxy = proxy(g -> three(g).balance(Balance.hashClientIp()));
    for (int i = 0; i < 6; i++) {
      connect(proxy, "/").close();
    }

    assertThat(List.of(a.handshakes().size(), b.handshakes().size(), c.handshakes().size()))
        .containsExactlyInAnyOrder(6, 0, 0);
  }

  @Test
  void failsOverToTheNextServerWhenOneRefusesConnections() throws Exception {
    WsProxy proxy = proxy(g -> g.server(closedPortUri(), 1).server(a.uri(), 1).server(b.uri(), 1).maxFails(0));

    for (int i = 0; i < 6; i++) {
      try (JdkTestClient client = connect(proxy, "/")) {
        client.sendText("m" + i);
        assertThat(client.awaitText(DEADLINE)).isEqualTo("m" + i);
      }
    }

    assertThat(a.handshakes().size() + b.handshakes().size()).isEqualTo(6);
  }

  @Test
  void failsOverToTheNextServerWhenOneAnswers503() throws Exception {
    assertFailsOverFrom(RawUpstream.rejecting(503, "Service Unavailable", Map.of(), "busy"));
  }

  @Test
  void failsOverWhenAServerClosesTheConnectionDuringTheHandshake() throws Exception {
    assertFailsOverFrom(conn -> conn.readRequest());
  }

  /** Four connections over a failing server and a good one: the two that try the bad one get the good one. */
  private void assertFailsOverFrom(RawUpstream.Script failing) throws Exception {
    RawUpstream bad = track(RawUpstream.start(failing));
    WsProxy proxy = proxy(g -> g.server(bad.uri(), 1).server(a.uri(), 1).maxFails(0));

    for (int i = 0; i < 4; i++) {
      connect(proxy, "/").close();
    }

    assertThat(a.handshakes()).hasSize(4);
    assertThat(bad.requests()).hasSize(2);
  }

  @Test
  void answers504WhenTheConnectTimeoutRunsOutWhateverTriesAreLeft() throws Exception {
    RawUpstream silent = track(RawUpstream.start(RawUpstream.silent()));
    UpstreamGroup group = UpstreamGroup.builder().server(silent.uri(), 1).server(a.uri(), 1).build();
    WsProxy proxy = track(WsProxy.builder().listen(new InetSocketAddress("127.0.0.1", 0)).upstream(group)
        .connectTimeout(Duration.ofMillis(300)).build());
    proxy.start();

    assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(504);
    assertThat(silent.connectionCount()).isEqualTo(1);
    assertThat(a.handshakes()).isEmpty();
    assertThat(proxy.upstreamStates().get(0).health()).as("a timeout counts as a failure").isEqualTo(UpstreamState.Health.FAILED);
  }

  @Test
  void relaysA403WithoutTryingAnotherServer() throws Exception {
    RawUpstream forbidding = track(RawUpstream.start(RawUpstream.rejecting(403, "Forbidden", Map.of(), "no")));
    WsProxy proxy = proxy(g -> g.server(forbidding.uri(), 1).server(a.uri(), 1));

    assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(403);
    assertThat(forbidding.requests()).hasSize(1);
    assertThat(a.handshakes()).isEmpty();
  }

  @Test
  void answers502WhenEveryServerRefuses() throws Exception {
    WsProxy proxy = proxy(g -> g.server(closedPortUri(), 1).server(closedPortUri(), 1));

    assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(502);
  }

  @Test
  void relaysTheLastServers5xxWhenEveryTryAnswered5xxAndStopsAtMaxTries() throws Exception {
    RawUpstream first = track(RawUpstream.start(RawUpstream.rejecting(500, "Internal Server Error", Map.of(), "x")));
    RawUpstream second = track(RawUpstream.start(RawUpstream.rejecting(503, "Service Unavailable", Map.of(), "y")));
    WsProxy proxy = proxy(g -> g.server(first.uri(), 1).server(second.uri(), 1).server(a.uri(), 1)
        .maxTries(2).maxFails(0));

    assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(503);
    assertThat(first.requests()).hasSize(1);
    assertThat(second.requests()).hasSize(1);
    assertThat(a.handshakes()).isEmpty();
  }

  @Test
  void usesTheBackupOnlyWhenEveryPrimaryIsDown() throws Exception {
    WsProxy healthy = proxy(g -> g.server(a.uri(), 1).server(b.uri(), 1).backup(c.uri(), 1));
    for (int i = 0; i < 6; i++) {
      connect(healthy, "/").close();
    }
    assertThat(c.handshakes()).isEmpty();

    WsProxy primariesDown = proxy(g -> g.server(closedPortUri(), 1).server(closedPortUri(), 1).backup(c.uri(), 1));
    for (int i = 0; i < 3; i++) {
      connect(primariesDown, "/").close();
    }
    assertThat(c.handshakes()).hasSize(3);
  }

  @Test
  void skipsAServerAfterMaxFailsAndTriesItAgainAfterFailTimeout() throws Exception {
    RawUpstream failing = track(RawUpstream.start(RawUpstream.rejecting(503, "Service Unavailable", Map.of(), "x")));
    List<UpstreamState> events = new CopyOnWriteArrayList<>();
    WsProxy proxy = proxy(g -> g.server(failing.uri(), 1).server(a.uri(), 1)
        .maxFails(2).failTimeout(Duration.ofMillis(2000)).listener(recordingInto(events)));

    for (int i = 0; i < 10 && failing.requests().size() < 2; i++) {
      connect(proxy, "/").close();
    }
    assertThat(failing.requests()).hasSize(2);
    assertThat(proxy.upstreamStates().get(0).health()).isEqualTo(UpstreamState.Health.FAILED);
    for (int i = 0; i < 4; i++) {
      connect(proxy, "/").close();
    }
    assertThat(failing.requests()).hasSize(2);

    Await.until(() -> proxy.upstreamStates().get(0).health() == UpstreamState.Health.UP, DEADLINE,
        "the failed server back after its fail timeout");
    for (int i = 0; i < 2; i++) {
      connect(proxy, "/").close();
    }
    assertThat(failing.requests()).hasSize(3);
    assertThat(events).extracting(UpstreamState::health)
        .startsWith(UpstreamState.Health.FAILED, UpstreamState.Health.UP);
    assertThat(events.get(0).url()).isEqualTo(failing.uri());
  }

  @Test
  void activeWebSocketCheckMarksAStoppedServerDownAndARestartedOneUp() throws Exception {
    List<UpstreamState> events = new CopyOnWriteArrayList<>();
    WsProxy proxy = proxy(g -> g.server(a.uri(), 1).server(b.uri(), 1).listener(recordingInto(events))
        .healthCheck(HealthCheck.webSocket("/health").interval(Duration.ofMillis(100)).timeout(Duration.ofMillis(500))));
    Await.until(() -> !b.handshakes().isEmpty(), DEADLINE, "a probe on b");
    assertThat(b.handshakes().get(0).resource()).isEqualTo("/health");
    int port = b.port();

    b.close();
    Await.until(() -> proxy.upstreamStates().get(1).health() == UpstreamState.Health.DOWN, DEADLINE, "b down");
    int probesOnA = a.handshakes().size();
    for (int i = 0; i < 4; i++) {
      connect(proxy, "/app").close();
    }
    assertThat(a.handshakes().stream().filter(h -> h.resource().equals("/app"))).hasSize(4);
    assertThat(a.handshakes().size()).isGreaterThanOrEqualTo(probesOnA + 4);

    TestUpstream restarted = track(TestUpstream.builder().bind(new InetSocketAddress("127.0.0.1", port)).start());
    Await.until(() -> proxy.upstreamStates().get(1).health() == UpstreamState.Health.UP, DEADLINE, "b up again");
    assertThat(events).filteredOn(s -> s.url().equals(proxy.upstreamStates().get(1).url()))
        .extracting(UpstreamState::health).containsExactly(UpstreamState.Health.DOWN, UpstreamState.Health.UP);
    Await.until(() -> !restarted.handshakes().isEmpty(), DEADLINE, "a probe on the restarted b");
  }

  @Test
  void activeTcpCheckMarksARefusingServerDown() throws Exception {
    WsProxy proxy = proxy(g -> g.server(closedPortUri(), 1).server(a.uri(), 1)
        .healthCheck(HealthCheck.tcp().interval(Duration.ofMillis(100))));

    Await.until(() -> proxy.upstreamStates().get(0).health() == UpstreamState.Health.DOWN, DEADLINE, "closed port down");
    assertThat(proxy.upstreamStates().get(1).health()).isEqualTo(UpstreamState.Health.UP);
    assertThat(a.handshakes()).isEmpty();
  }

  @Test
  void aServerAtItsConnectionCapIsSkippedAndAllCappedGives503() throws Exception {
    WsProxy proxy = proxy(g -> g.server(a.uri(), 3).server(b.uri(), 1).maxConnections(1));

    JdkTestClient first = track(connect(proxy, "/"));
    track(connect(proxy, "/"));
    assertThat(a.handshakes()).hasSize(1);
    assertThat(b.handshakes()).hasSize(1);
    assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(503);

    first.close();
    awaitActive(proxy, a.uri(), 0);
    track(connect(proxy, "/"));
    assertThat(a.handshakes()).hasSize(2);
  }

  @Test
  void countsConnectionsPerServerAcrossEventLoops() throws Exception {
    WsProxy proxy = proxy(g -> g.server(a.uri(), 1).server(b.uri(), 1));
    List<JdkTestClient> clients = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      clients.add(track(connect(proxy, "/")));
    }
    assertThat(proxy.upstreamStates()).extracting(UpstreamState::activeConnections).containsExactly(4, 4);

    for (JdkTestClient client : clients) {
      client.close();
    }
    Await.until(() -> proxy.upstreamStates().stream().allMatch(s -> s.activeConnections() == 0), DEADLINE,
        "every connection counted off");
  }

  private void assertSticky(WsProxy proxy, Function<String, String> path,
      Function<String, Map<String, String>> headers) throws Exception {
    List<TestUpstream> servers = List.of(a, b, c);
    Set<Integer> used = new HashSet<>();
    for (int user = 0; user < 12; user++) {
      String key = "user" + user;
      int server = -1;
      for (int i = 0; i < 3; i++) {
        int[] before = handshakeCounts(servers);
        JdkTestClient.connect(uri(proxy, path.apply(key)), List.of(), headers.apply(key)).close();
        int landed = changed(before, handshakeCounts(servers));
        assertThat(server == -1 || landed == server).as("%s always on one server", key).isTrue();
        server = landed;
      }
      used.add(server);
    }
    assertThat(used).as("keys spread over the servers").hasSizeGreaterThan(1);
  }

  private UpstreamGroup.Builder three(UpstreamGroup.Builder group) {
    return group.server(a.uri(), 1).server(b.uri(), 1).server(c.uri(), 1);
  }

  private void awaitActive(WsProxy proxy, URI server, int active) {
    Await.until(() -> proxy.upstreamStates().stream()
        .anyMatch(s -> s.url().equals(server) && s.activeConnections() == active), DEADLINE,
        server + " at " + active + " connection(s)");
  }

  private static int[] handshakeCounts(List<TestUpstream> servers) {
    int[] counts = new int[servers.size()];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = servers.get(i).handshakes().size();
    }
    return counts;
  }

  private static int changed(int[] before, int[] after) {
    int index = -1;
    for (int i = 0; i < before.length; i++) {
      if (after[i] != before[i]) {
        assertThat(index).as("one connection reached exactly one server").isEqualTo(-1);
        index = i;
      }
    }
    assertThat(index).as("one connection reached a server").isNotEqualTo(-1);
    return index;
  }

  private WsProxy proxy(Consumer<UpstreamGroup.Builder> servers) throws Exception {
    UpstreamGroup.Builder group = UpstreamGroup.builder();
    servers.accept(group);
    WsProxy proxy = WsProxy.builder().listen(new InetSocketAddress("127.0.0.1", 0)).upstream(group.build())
        .connectTimeout(Duration.ofSeconds(5)).build();
    proxy.start();
    return track(proxy);
  }

  private JdkTestClient connect(WsProxy proxy, String path) throws Exception {
    return JdkTestClient.connect(uri(proxy, path));
  }

  private static URI uri(WsProxy proxy, String path) {
    return URI.create("ws://127.0.0.1:" + proxy.port() + path);
  }

  /** The URL of a loopback port nobody listens on (connections are refused). */
  private static URI closedPortUri() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return URI.create("ws://127.0.0.1:" + socket.getLocalPort());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static UpstreamListener recordingInto(List<UpstreamState> events) {
    return new UpstreamListener() {
      @Override
      public void onHealthChanged(UpstreamState state) {
        events.add(state);
      }
    };
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }
}
