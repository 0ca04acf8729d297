package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.HttpHead;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.JwsTestClient;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.RecordedHandshake;
import io.github.wsproxy.testing.TestUpstream;
import io.github.wsproxy.testing.WireFrame;
import io.github.wsproxy.testing.WsProxyExtension;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The opening handshake, through a real proxy, against real upstreams. */
class HandshakeTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @RegisterExtension
  // WebSocket-only: plain HTTP requests get the non-upgrade status (PlainHttpTest relays them)
  WsProxyExtension echo = WsProxyExtension.echo().proxy(p -> p.plainHttp(false));

  @Test
  void answers101OnlyAfterTheUpstreamAnswered101() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (RawUpstream upstream = RawUpstream.start(c -> {
          HttpHead request = c.readRequest();
          release.await(10, TimeUnit.SECONDS);
          c.accept(request);
          c.awaitEof(DEADLINE);
        });
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()));
        RawClient client = RawClient.connect(proxy.port())) {
      client.sendHandshakeRequest("/", Map.of());
      upstream.awaitRequests(1, DEADLINE);

      assertThat(client.pollFrame(Duration.ofMillis(200))).isNull();
      assertThat(client.buffered()).isZero();

      release.countDown();
      HttpHead response = client.readResponse(DEADLINE);
      assertThat(response.statusCode()).isEqualTo(101);
      assertThat(response.header("Sec-WebSocket-Accept")).isEqualTo(client.expectedAccept());
      assertThat(upstream.requests().get(0).header("Sec-WebSocket-Key")).isNotEqualTo(client.key());
    }
  }

  @Test
  void relaysFramesTheClientSentBeforeTheUpstreamAnswered() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<WireFrame> received = new CopyOnWriteArrayList<>();
    try (RawUpstream upstream = RawUpstream.start(c -> {
          HttpHead request = c.readRequest();
          release.await(10, TimeUnit.SECONDS);
          c.accept(request);
          for (int i = 0; i < 4; i++) {
            received.add(c.readFrame(DEADLINE));
          }
        });
        // more early bytes than maxHeaderBytes: the proxy keeps 1 KiB and leaves the rest unread
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()).maxHeaderBytes(1024));
        RawClient client = RawClient.connect(proxy.port())) {
      client.sendHandshakeRequest("/", Map.of());
      upstream.awaitRequests(1, DEADLINE);
      List<WireFrame> early = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        byte[] payload = new byte[600];
        Arrays.fill(payload, (byte) ('a' + i));
        early.add(WireFrame.binary(payload));
      }
      client.sendFrames(early);

      release.countDown();
      assertThat(client.readResponse(DEADLINE).statusCode()).isEqualTo(101);
      Await.until(() -> received.size() == 4, DEADLINE, "the upstream received the early frames");
      assertThat(received).extracting(WireFrame::payload).containsExactlyElementsOf(
          early.stream().map(WireFrame::payload).toList());
    }
  }

  @Test
  void leavesTheUpstreamAsSoonAsTheClientLeavesMidHandshake() throws Exception {
    CountDownLatch upstreamSawEof = new CountDownLatch(1);
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.readRequest();
          if (c.awaitEof(Duration.ofSeconds(20))) {
            upstreamSawEof.countDown();
          }
        });
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri())
            .handshakeTimeout(Duration.ofSeconds(30)).connectTimeout(Duration.ofSeconds(30)))) {
      try (RawClient client = RawClient.connect(proxy.port())) {
        client.sendHandshakeRequest("/", Map.of());
        upstream.awaitRequests(1, DEADLINE);
      }

      // well within the proxy's own timeouts: it noticed the client leave, not a deadline
      assertThat(upstreamSawEof.await(5, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void answers502WhenTheUpstreamRefusesTheConnection() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream("ws://127.0.0.1:" + closedPort));
        RawClient client = RawClient.connect(proxy.port())) {
      HttpHead response = client.handshake("/");

      assertThat(response.statusCode()).isEqualTo(502);
      assertThat(response.contentLength()).isEqualTo(response.body().length).isPositive();
      assertThat(client.awaitEof(DEADLINE)).isTrue();
    }
  }

  @Test
  void answers502WhenTheUpstreamHostDoesNotResolve() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream("ws://no-such-host.invalid:1"))) {
      assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(502);
    }
  }

  @Test
  void answers504WhenTheUpstreamNeverAnswersTheHandshake() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.silent());
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()).connectTimeout(Duration.ofMillis(400)));
        RawClient client = RawClient.connect(proxy.port())) {
      long start = System.nanoTime();
      HttpHead response = client.handshake("/");

      assertThat(response.statusCode()).isEqualTo(504);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
      assertThat(client.awaitEof(DEADLINE)).isTrue();
    }
  }

  @Test
  void relaysTheUpstreamsRejectionWithItsHeadersAndBody() throws Exception {
    for (int status : new int[] {401, 403, 404}) {
      try (RawUpstream upstream = RawUpstream.start(RawUpstream.rejecting(status, "No",
              Map.of("WWW-Authenticate", "Bearer realm=\"chat\"", "X-Reason", "because"), "go away " + status));
          WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()));
          RawClient client = RawClient.connect(proxy.port())) {
        HttpHead response = client.handshake("/");

        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"chat\"");
        assertThat(response.header("X-Reason")).isEqualTo("because");
        assertThat(response.bodyText()).isEqualTo("go away " + status);
        assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isEqualTo(status);
      }
    }
  }

  @Test
  void joinsPathAndQueryToTheUpstreamPrefix() throws Exception {
    for (String prefix : new String[] {"/base", "/base/"}) {
      try (WsProxy proxy = startProxy(WsProxy.builder().upstream(echo.upstream().uri() + prefix));
          JdkTestClient client = JdkTestClient.connect(uri(proxy, "/chat?room=1&x=%20y"))) {
        client.sendText("ping");
        assertThat(client.awaitText(DEADLINE)).isEqualTo("ping");
      }
    }
    List<RecordedHandshake> handshakes = echo.upstream().awaitHandshakes(2, DEADLINE);
    assertThat(handshakes).extracting(RecordedHandshake::resource)
        .containsExactly("/base/chat?room=1&x=%20y", "/base/chat?room=1&x=%20y");
  }

  @Test
  void forwardsEndToEndHeadersAndDropsHopByHopOnes() throws Exception {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Cookie", "session=abc; theme=dark");
    headers.put("Authorization", "Bearer t0ken");
    headers.put("Origin", "https://app.example");
    headers.put("X-Custom", "kept as is");
    headers.put("Keep-Alive", "timeout=5");
    headers.put("Proxy-Authorization", "Basic c2VjcmV0");
    headers.put("Proxy-Client-Id", "meant for the proxy, as on plain requests");
    headers.put("TE", "trailers");
    headers.put("X-Hop", "named in Connection");
    headers.put("Connection", "Upgrade, X-Hop");
    headers.put("X-Forwarded-For", "203.0.113.7");
    try (RawClient client = echo.connectRaw()) {
      assertThat(client.handshake("/", headers).statusCode()).isEqualTo(101);
    }
    RecordedHandshake seen = echo.upstream().awaitHandshakes(1, DEADLINE).get(0);

    assertThat(seen.header("Cookie")).isEqualTo("session=abc; theme=dark");
    assertThat(seen.header("Authorization")).isEqualTo("Bearer t0ken");
    assertThat(seen.header("Origin")).isEqualTo("https://app.example");
    assertThat(seen.header("X-Custom")).isEqualTo("kept as is");
    assertThat(seen.request().headers("Keep-Alive")).isEmpty();
    assertThat(seen.request().headers("Proxy-Authorization")).isEmpty();
    assertThat(seen.request().headers("Proxy-Client-Id")).isEmpty();
    assertThat(seen.request().headers("TE")).isEmpty();
    assertThat(seen.request().headers("X-Hop")).isEmpty();
    assertThat(seen.header("X-Forwarded-For")).as("an untrusted client cannot spoof it").isEqualTo("127.0.0.1");
    assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("http");
    assertThat(seen.header("X-Forwarded-Host")).isEqualTo("127.0.0.1:" + echo.proxy().port());
    assertThat(seen.header("Host")).isEqualTo("127.0.0.1:" + echo.upstream().port());
  }

  @Test
  void sendsTheClientsHostWhenAskedTo() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(echo.upstream().uri()).preserveHost(true));
        RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/", Map.of("Host", "chat.example:8443")).statusCode()).isEqualTo(101);
    }
    RecordedHandshake seen = echo.upstream().awaitHandshakes(1, DEADLINE).get(0);
    assertThat(seen.header("Host")).isEqualTo("chat.example:8443");
    assertThat(seen.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
  }

  @Test
  void negotiatesSubprotocolsEndToEnd() throws Exception {
    try (Stack upstream = new Stack(b -> b.subprotocols("b"), b -> { });
        JdkTestClient client = JdkTestClient.connect(uri(upstream.proxy, "/"), List.of("a", "b"), Map.of())) {
      assertThat(client.subprotocol()).isEqualTo("b");
      assertThat(upstream.upstream.awaitHandshakes(1, DEADLINE).get(0).header("Sec-WebSocket-Protocol"))
          .isEqualTo("a, b");
    }
    try (RawClient client = echo.connectRaw()) {
      HttpHead response = client.handshake("/", Map.of("Sec-WebSocket-Protocol", "x, y"));
      assertThat(response.statusCode()).isEqualTo(101);
      assertThat(response.headers("Sec-WebSocket-Protocol")).isEmpty();
    }
  }

  @Test
  void answers502WhenTheUpstreamPicksAnUnofferedSubprotocol() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> c.accept(c.readRequest(), "Sec-WebSocket-Protocol: z"));
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()))) {
      assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"), List.of("a"), Map.of())).isEqualTo(502);
    }
  }

  @Test
  void negotiatesPermessageDeflateEndToEndAndRelaysCompressedFrames() throws Exception {
    try (Stack upstream = new Stack(b -> b.permessageDeflate(true), b -> { });
        JwsTestClient client = JwsTestClient.connect(uri(upstream.proxy, "/"), Map.of(), List.of(), true)) {
      assertThat(client.handshakeHeader("Sec-WebSocket-Extensions")).contains("permessage-deflate");
      String compressible = "abcdefgh".repeat(20_000);
      client.sendText(compressible);
      assertThat(client.awaitText(DEADLINE)).isEqualTo(compressible);
      client.sendBinary(new byte[] {1, 2, 3});
      assertThat(client.awaitBinary(DEADLINE)).containsExactly(1, 2, 3);
      assertThat(upstream.upstream.awaitFrames(1, DEADLINE).get(0).rsv1()).isTrue();
    }
  }

  @Test
  void stripsTheDeflateOfferWhenConfiguredAndUnknownExtensionsAlways() throws Exception {
    try (Stack upstream = new Stack(b -> b.permessageDeflate(true), b -> b.permessageDeflate(false));
        JwsTestClient client = JwsTestClient.connect(uri(upstream.proxy, "/"), Map.of(), List.of(), true)) {
      assertThat(client.handshakeHeader("Sec-WebSocket-Extensions")).isNullOrEmpty();
      client.sendText("plain");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("plain");
      assertThat(upstream.upstream.awaitHandshakes(1, DEADLINE).get(0).header("Sec-WebSocket-Extensions"))
          .isNullOrEmpty();
    }
    try (RawClient client = echo.connectRaw()) {
      assertThat(client.handshake("/", Map.of("Sec-WebSocket-Extensions", "x-webkit-foo; a=1")).statusCode())
          .isEqualTo(101);
    }
    assertThat(echo.upstream().awaitHandshakes(1, DEADLINE).get(0).header("Sec-WebSocket-Extensions")).isNullOrEmpty();
  }

  @Test
  void answersBadRequestsWithTheRightStatusAndKeepsServing() throws Exception {
    assertStatus("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 426, "Upgrade", "websocket");
    assertStatus(upgrade("POST", "dGhlIHNhbXBsZSBub25jZQ==", "13"), 405, "Allow", "GET");
    assertStatus(upgrade("GET", "short", "13"), 400, null, null);
    assertStatus(upgrade("GET", "dGhlIHNhbXBsZSBub25jZQ==", "8"), 426, "Sec-WebSocket-Version", "13");
    assertStatus("HELLO\r\n\r\n", 400, null, null);
    assertStatus("GET / HTTP/1.1\r\nHost x\r\n\r\n", 400, null, null);
    String valid = upgrade("GET", "dGhlIHNhbXBsZSBub25jZQ==", "13");
    assertStatus(valid.replace("GET / ", "GET /a\nX-Injected:1 "), 400, null, null);
    assertStatus(valid.replace("Host: x", "Host: \u001fx"), 400, null, null);
    assertStatus("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20 * 1024) + "\r\n\r\n", 431, null, null);

    try (JdkTestClient client = echo.connectJdk()) {
      client.sendText("still here");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("still here");
    }
  }

  @Test
  void answersTheConfiguredStatusToPlainHttpAndAppliesTheHeaderLimit() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(echo.upstream().uri())
        .plainHttp(false).nonUpgradeStatus(404).maxHeaderBytes(2048))) {
      try (RawClient client = RawClient.connect(proxy.port())) {
        client.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(client.readResponse(DEADLINE).statusCode()).isEqualTo(404);
      }
      try (RawClient client = RawClient.connect(proxy.port())) {
        assertThat(client.handshake("/", Map.of("X-Big", "b".repeat(3000))).statusCode()).isEqualTo(431);
      }
    }
  }

  @Test
  void dropsAClientThatStallsMidHandshake() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(echo.upstream().uri())
        .handshakeTimeout(Duration.ofMillis(300)));
        RawClient client = RawClient.connect(proxy.port())) {
      client.sendRaw("GET / HTTP/1.1\r\nHost: x\r\nUpgr");

      assertThat(client.readResponse(DEADLINE).statusCode()).isEqualTo(408);
      assertThat(client.awaitEof(DEADLINE)).isTrue();
    }
  }

  private void assertStatus(String request, int status, String header, String value) throws Exception {
    try (RawClient client = echo.connectRaw()) {
      client.sendRaw(request);
      HttpHead response = client.readResponse(DEADLINE);
      assertThat(response.statusCode()).as(request).isEqualTo(status);
      if (header != null) {
        assertThat(response.header(header)).as(request).isEqualTo(value);
      }
      assertThat(client.awaitEof(DEADLINE)).as(request).isTrue();
    }
  }

  private static String upgrade(String method, String key, String version) {
    return method + " / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: " + version + "\r\n\r\n";
  }

  static WsProxy startProxy(WsProxy.Builder builder) throws Exception {
    WsProxy proxy = builder.listen(new InetSocketAddress("127.0.0.1", 0)).build();
    proxy.start();
    return proxy;
  }

  static java.net.URI uri(WsProxy proxy, String path) {
    return java.net.URI.create("ws://127.0.0.1:" + proxy.port() + path);
  }

  /** A TestUpstream configured for one test and a proxy in front of it. */
  private static final class Stack implements AutoCloseable {
    final TestUpstream upstream;
    final WsProxy proxy;

    Stack(Consumer<TestUpstream.Builder> upstreamConfig, Consumer<WsProxy.Builder> proxyConfig) throws Exception {
      TestUpstream.Builder upstreamBuilder = TestUpstream.builder();
      upstreamConfig.accept(upstreamBuilder);
      upstream = upstreamBuilder.start();
      WsProxy.Builder proxyBuilder = WsProxy.builder().upstream(upstream.uri());
      proxyConfig.accept(proxyBuilder);
      proxy = startProxy(proxyBuilder);
    }

    @Override
    public void close() {
      proxy.close();
      upstream.close();
    }
  }
}
