package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.HttpHead;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.RecordedHandshake;
import io.github.wsproxy.testing.TestUpstream;
import io.github.wsproxy.testing.WireFrame;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Connection limits, origins, forwarded headers, frame size and keepalive, with real peers. */
class LimitsTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private final List<AutoCloseable> resources = new ArrayList<>();
  private TestUpstream upstream;

  @BeforeEach
  void startUpstream() throws Exception {
    upstream = track(TestUpstream.startEcho());
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  private WsProxy proxy(URI upstreamUri, UnaryOperator<WsProxy.Builder> settings) throws Exception {
    WsProxy proxy = track(settings.apply(WsProxy.builder()
        .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .upstream(upstreamUri)).build());
    proxy.start();
    return proxy;
  }

  private static URI uri(WsProxy proxy, String path) {
    return URI.create("ws://127.0.0.1:" + proxy.port() + path);
  }

  @Test
  void answers503BeyondMaxConnectionsAndAdmitsAgainOnceOneLeaves() throws Exception {
    WsProxy proxy = proxy(upstream.uri(), b -> b.maxConnections(2));
    JdkTestClient first = track(JdkTestClient.connect(uri(proxy, "/")));
    track(JdkTestClient.connect(uri(proxy, "/")));
    try (RawClient third = RawClient.connect(proxy.port())) {
      HttpHead response = third.handshake("/");
      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.header("Retry-After")).isEqualTo("1");
    }
    first.close();
    upstream.awaitOpenConnections(1, DEADLINE);
    Await.until(() -> {
      try (RawClient again = RawClient.connect(proxy.port())) {
        return again.handshake("/").statusCode() == 101;
      } catch (Exception e) {
        return false;
      }
    }, DEADLINE, "a connection is admitted again");
  }

  @Test
  void answers429BeyondTheConnectionsOfOneAddress() throws Exception {
    WsProxy proxy = proxy(upstream.uri(), b -> b.maxConnectionsPerIp(1));
    track(JdkTestClient.connect(uri(proxy, "/")));
    assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(429);
  }

  @Test
  void answers429WhenAnAddressOpensConnectionsTooFast() throws Exception {
    WsProxy proxy = proxy(upstream.uri(), b -> b.maxHandshakesPerSecondPerIp(2));
    track(JdkTestClient.connect(uri(proxy, "/")));
    track(JdkTestClient.connect(uri(proxy, "/")));
    assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(429);
  }

  @Test
  void answers403ToAnOriginNotAllowed() throws Exception {
    WsProxy proxy = proxy(upstream.uri(), b -> b.allowedOrigins(List.of("https://app.example")));
    assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"), List.of(), Map.of("Origin", "https://evil.example")))
        .isEqualTo(403);
    track(JdkTestClient.connect(uri(proxy, "/"), List.of(), Map.of("Origin", "https://APP.example")));
    track(JdkTestClient.connect(uri(proxy, "/")));
    assertThat(upstream.awaitHandshakes(2, DEADLINE)).hasSize(2);
  }

  @Test
  void aClientCannotSpoofForwardedHeadersButATrustedProxyCan() throws Exception {
    Map<String, String> spoofed = Map.of("X-Forwarded-For", "203.0.113.7", "X-Forwarded-Proto", "https");
    WsProxy untrusting = proxy(upstream.uri(), b -> b);
    try (RawClient client = RawClient.connect(untrusting.port())) {
      assertThat(client.handshake("/", spoofed).statusCode()).isEqualTo(101);
    }
    RecordedHandshake seen = upstream.awaitHandshakes(1, DEADLINE).get(0);
    assertThat(seen.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("http");

    WsProxy trusting = proxy(upstream.uri(), b -> b.trustedProxies(List.of("127.0.0.0/8", "::1")));
    try (RawClient client = RawClient.connect(trusting.port())) {
      assertThat(client.handshake("/", spoofed).statusCode()).isEqualTo(101);
    }
    RecordedHandshake viaTrusted = upstream.awaitHandshakes(2, DEADLINE).get(1);
    assertThat(viaTrusted.header("X-Forwarded-For")).isEqualTo("203.0.113.7, 127.0.0.1");
    assertThat(viaTrusted.header("X-Forwarded-Proto")).isEqualTo("https");
  }

  @Test
  void invalidLimitSettingsAreRefusedWithTheirName() {
    assertThatIllegalArgumentException().isThrownBy(() -> WsProxy.builder().trustedProxies(List.of("proxy.local")))
        .withMessageContaining("trustedProxies");
    assertThatIllegalArgumentException().isThrownBy(() -> WsProxy.builder().trustedProxies(List.of("10.0.0.0/33")))
        .withMessageContaining("trustedProxies");
    assertThatIllegalArgumentException().isThrownBy(() -> WsProxy.builder().maxConnections(0))
        .withMessageContaining("maxConnections");
    assertThatIllegalArgumentException().isThrownBy(() -> WsProxy.builder().allowedOrigins(List.of("a b")))
        .withMessageContaining("allowedOrigins");
    assertThatIllegalArgumentException().isThrownBy(() -> WsProxy.builder().clientPingInterval(Duration.ofSeconds(-1)))
        .withMessageContaining("clientPingInterval");
  }

  @Test
  void closesBothSidesWith1009OnAFrameOverTheFrameLimit() throws Exception {
    WsProxy proxy = proxy(upstream.uri(), b -> b.maxFrameBytes(1000));
    try (RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);
      client.sendFrame(WireFrame.binary(new byte[500]));
      assertThat(client.readFrame(DEADLINE).length()).isEqualTo(500);
      client.sendFrame(WireFrame.binaryFragment(new byte[1001]));
      assertThat(client.readFrameSkippingPingPong(DEADLINE).closeCode()).isEqualTo(1009);
    }
    assertThat(upstream.awaitCloses(1, DEADLINE).get(0).code()).isEqualTo(1009);
  }

  @Test
  void pingsASilentClientAndKeepsItWhileItAnswersWithoutRelayingThePongs() throws Exception {
    WsProxy proxy = proxy(upstream.uri(), b -> b.clientPingInterval(Duration.ofMillis(150))
        .pongTimeout(Duration.ofMillis(400)));
    try (JdkTestClient client = JdkTestClient.connect(uri(proxy, "/"))) {
      assertThat(client.awaitPing(DEADLINE)).isEqualTo("wsproxy-keepalive".getBytes());
      assertThat(client.awaitPing(DEADLINE)).isEqualTo("wsproxy-keepalive".getBytes());
      assertThat(client.awaitPing(DEADLINE)).isEqualTo("wsproxy-keepalive".getBytes());
      client.sendText("still open");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("still open");
      client.sendPong(new byte[] {5});
      assertThat(upstream.awaitFrames(2, DEADLINE)).extracting(WireFrame::opcode)
          .containsExactly(WireFrame.TEXT, WireFrame.PONG);
    }
    assertThat(upstream.receivedFrames()).filteredOn(f -> f.opcode() == WireFrame.PONG)
        .allSatisfy(f -> assertThat(f.payload()).containsExactly(5));
  }

  @Test
  void treatsAClientThatDoesNotAnswerAPingAsVanished() throws Exception {
    WsProxy proxy = proxy(upstream.uri(), b -> b.clientPingInterval(Duration.ofMillis(100))
        .pongTimeout(Duration.ofMillis(300)));
    try (RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);
      assertThat(client.readFrame(DEADLINE).opcode()).isEqualTo(WireFrame.PING);
      assertThat(client.awaitEof(DEADLINE)).isTrue();
    }
    assertThat(upstream.awaitCloses(1, DEADLINE).get(0).code()).isEqualTo(1001);
  }

  @Test
  void treatsAnUpstreamThatDoesNotAnswerAPingAsVanished() throws Exception {
    try (RawUpstream silent = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          WireFrame ping = c.readFrame(DEADLINE);
          assertThat(ping.opcode()).isEqualTo(WireFrame.PING);
          assertThat(ping.masked()).isTrue();
          c.awaitEof(DEADLINE);
        })) {
      WsProxy proxy = proxy(silent.uri(), b -> b.upstreamPingInterval(Duration.ofMillis(100))
          .pongTimeout(Duration.ofMillis(300)));
      try (JdkTestClient client = JdkTestClient.connect(uri(proxy, "/"))) {
        assertThat(client.awaitClose(DEADLINE).code()).isEqualTo(1011);
      }
      silent.awaitScriptsFinished(1, DEADLINE);
      silent.assertNoFailures();
    }
  }
}
