package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.Background;
import io.github.wsproxy.testing.HttpHead;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RecordedHandshake;
import io.github.wsproxy.testing.TestUpstream;
import io.github.wsproxy.testing.WsProxyExtension;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Interceptors on the opening handshake, through a real proxy to a real upstream. */
class InterceptorHandshakeTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  /** Rejects requests without the right token; completes later when the token is "slow". */
  static final class TokenCheck extends Interceptor {
    final CompletableFuture<Void> slowAnswer = new CompletableFuture<>();
    final List<Handshake> seen = new CopyOnWriteArrayList<>();

    @Override
    public CompletionStage<Void> onHandshake(Handshake handshake) {
      seen.add(handshake);
      String token = handshake.queryParameter("token");
      if ("slow".equals(token)) {
        return slowAnswer;
      }
      if ("boom".equals(token)) {
        throw new IllegalStateException("interceptor bug");
      }
      if ("never".equals(token)) {
        return new CompletableFuture<>();
      }
      if (!"good".equals(token) && !"Bearer good".equals(handshake.header("Authorization"))) {
        handshake.reject(401, Map.of("WWW-Authenticate", "Bearer realm=\"chat\""), "token required");
      }
      return PROCEED;
    }
  }

  /** Rewrites what goes upstream and remembers something for later callbacks. */
  static final class Rewriter extends Interceptor {
    final List<Object> attributesAtOpen = new CopyOnWriteArrayList<>();
    final AtomicInteger handshakes = new AtomicInteger();

    @Override
    public CompletionStage<Void> onHandshake(Handshake handshake) {
      handshakes.incrementAndGet();
      handshake.setTarget("/rewritten" + handshake.path() + "?via=proxy");
      handshake.setHeader("X-User", "alice");
      handshake.removeHeader("X-Secret");
      handshake.connection().setAttribute("user", "alice");
      return PROCEED;
    }

    @Override
    public void onOpen(ProxyConnection connection) {
      attributesAtOpen.add(connection.attribute("user", String.class));
    }
  }

  final TokenCheck tokens = new TokenCheck();
  final Rewriter rewriter = new Rewriter();

  @RegisterExtension
  WsProxyExtension proxy = WsProxyExtension.echo()
      .interceptor(tokens)
      .interceptor(rewriter)
      .proxy(b -> b.interceptorTimeout(Duration.ofMillis(500)));

  @Test
  void rejectsWith401AndTheInterceptorsHeadersAndBody() throws Exception {
    try (RawClient client = proxy.connectRaw()) {
      client.sendHandshakeRequest("/chat?token=bad", Map.of());
      HttpHead response = client.readResponse(DEADLINE);

      assertThat(response.statusCode()).isEqualTo(401);
      assertThat(response.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"chat\"");
      assertThat(response.bodyText()).isEqualTo("token required\n");
      assertThat(client.awaitEof(DEADLINE)).isTrue();
    }
    assertThat(proxy.upstream().handshakes()).isEmpty();
    assertThat(rewriter.handshakes).hasValue(0);
  }

  @Test
  void laterInterceptorsSeeTheRequestAndItsChangesReachTheUpstream() throws Exception {
    try (JdkTestClient client = JdkTestClient.connect(proxy.proxyUri("/chat?token=good"), List.of(),
        Map.of("X-Secret", "s3cret", "X-Kept", "yes"))) {
      client.sendText("hi");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("hi");
    }
    RecordedHandshake upstream = proxy.upstream().awaitHandshakes(1, DEADLINE).get(0);
    assertThat(upstream.resource()).isEqualTo("/rewritten/chat?via=proxy");
    assertThat(upstream.header("X-User")).isEqualTo("alice");
    assertThat(upstream.header("X-Kept")).isEqualTo("yes");
    assertThat(upstream.header("X-Secret")).isNull();
    Handshake seen = tokens.seen.get(0);
    assertThat(seen.method()).isEqualTo("GET");
    assertThat(seen.path()).isEqualTo("/chat");
    assertThat(seen.query()).isEqualTo("token=good");
    assertThat(seen.header("x-secret")).isEqualTo("s3cret");
    assertThat(seen.remoteAddress().getAddress().isLoopbackAddress()).isTrue();
    assertThat(rewriter.attributesAtOpen).containsExactly("alice");
  }

  @Test
  void anAsynchronousCheckHoldsOnlyItsOwnHandshake() throws Exception {
    CompletableFuture<JdkTestClient> slow = Background.supply(() -> {
      try {
        return JdkTestClient.connect(proxy.proxyUri("/?token=slow"));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Await.until(() -> !tokens.seen.isEmpty(), DEADLINE, "the slow handshake reached the interceptor");

    try (JdkTestClient fast = JdkTestClient.connect(proxy.proxyUri("/?token=good"))) {
      fast.sendText("fast");
      assertThat(fast.awaitText(DEADLINE)).isEqualTo("fast");
    }
    assertThat(slow).isNotDone();

    tokens.slowAnswer.complete(null);
    try (JdkTestClient client = slow.get()) {
      client.sendText("slow");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("slow");
    }
  }

  @Test
  void aThrowingInterceptorGets500AndTheProxyKeepsServing() throws Exception {
    assertThat(JdkTestClient.handshakeFailureStatus(proxy.proxyUri("/?token=boom"))).isEqualTo(500);
    try (JdkTestClient client = JdkTestClient.connect(proxy.proxyUri("/?token=good"))) {
      client.sendText("still here");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("still here");
    }
  }

  @Test
  void aCheckThatNeverAnswersGets504AfterTheInterceptorTimeout() {
    long start = System.nanoTime();
    WebSocketHandshakeException failure =
        JdkTestClient.handshakeFailure(proxy.proxyUri("/?token=never"), List.of(), Map.of());
    assertThat(failure.getResponse().statusCode()).isEqualTo(504);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
    assertThat(proxy.upstream().handshakes()).isEmpty();
  }

  @Test
  void headerInjectionIsRefusedWithAnException() throws Exception {
    Handshake[] captured = new Handshake[1];
    try (JdkTestClient client = JdkTestClient.connect(proxy.proxyUri("/?token=good"))) {
      captured[0] = tokens.seen.get(0);
    }
    assertThatIllegalArgumentException()
        .isThrownBy(() -> captured[0].setHeader("X-A", "1\r\nX-Injected: 2"));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> captured[0].setHeader("Bad Name", "1"));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> captured[0].setHeader("Sec-WebSocket-Key", "x"));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> captured[0].reject(200, "ok"));
  }

  /** Sends {@code /b...} to its own group. */
  static final class PathRouter extends Interceptor {
    final UpstreamGroup b;

    PathRouter(UpstreamGroup b) {
      this.b = b;
    }

    @Override
    public CompletionStage<Void> onHandshake(Handshake handshake) {
      if (handshake.path().startsWith("/b")) {
        handshake.setUpstream(b);
      }
      return PROCEED;
    }
  }

  @Test
  void anInterceptorPicksTheUpstreamForItsConnection() throws Exception {
    try (TestUpstream other = TestUpstream.startEcho();
        WsProxy routed = WsProxy.builder()
            .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .upstream(proxy.upstream().uri())
            .interceptor(new PathRouter(UpstreamGroup.builder().server(other.uri().toString(), 1).build()))
            .build()) {
      routed.start();
      for (String path : List.of("/a", "/b/1", "/b/2")) {
        try (JdkTestClient client = JdkTestClient.connect(URI.create("ws://127.0.0.1:" + routed.port() + path))) {
          client.sendText(path);
          assertThat(client.awaitText(DEADLINE)).isEqualTo(path);
        }
      }
      assertThat(other.awaitHandshakes(2, DEADLINE)).extracting(RecordedHandshake::resource)
          .containsExactly("/b/1", "/b/2");
      assertThat(proxy.upstream().handshakes()).extracting(RecordedHandshake::resource).containsExactly("/a");
    }
  }
}
