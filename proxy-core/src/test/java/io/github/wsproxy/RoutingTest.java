package io.github.wsproxy;

import static io.github.wsproxy.Resources.uri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.github.wsproxy.testing.HttpHead;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.RecordedClose;
import io.github.wsproxy.testing.TestUpstream;
import io.github.wsproxy.testing.WireFrame;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Routes by path prefix and Host to several real upstream servers, with their timeouts and interceptors. */
class RoutingTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @RegisterExtension
  final Resources resources = new Resources();
  private TestUpstream a;
  private TestUpstream b;
  private TestUpstream c;

  @BeforeEach
  void startUpstreams() throws Exception {
    a = resources.echo();
    b = resources.echo();
    c = resources.echo();
  }

  @Test
  void aRouteThatStripsItsPrefixSendsTheRestUpstreamBehindTheUpstreamUrlsPath() throws Exception {
    WsProxy proxy = resources.proxy(p -> p
        .route(Route.builder("chat").path("/chat").stripPrefix(true).upstream(group(a)).build())
        .route(Route.builder("api").path("/api/").stripPrefix(true).upstream(b.uri() + "/v2").build())
        .route(Route.builder("rest").path("/").upstream(group(c)).build()));

    assertLandsOn(proxy, "/chat/room?x=1", a);
    assertLandsOn(proxy, "/chat", a);
    assertLandsOn(proxy, "/chat?x=2", a);
    assertLandsOn(proxy, "/api/users/7", b);
    assertLandsOn(proxy, "/api/", b);
    assertLandsOn(proxy, "/chatter", c);
    assertThat(a.handshakes()).extracting(h -> h.resource()).containsExactly("/room?x=1", "/", "/?x=2");
    assertThat(b.handshakes()).extracting(h -> h.resource()).containsExactly("/v2/users/7", "/v2/");
    assertThat(c.handshakes()).extracting(h -> h.resource()).containsExactly("/chatter");
    assertThat(proxy.routes().get(0).stripPrefix()).isTrue();
    assertThat(proxy.routes().get(2).stripPrefix()).isFalse();
  }

  @Test
  void theLongestMatchingPathPrefixWinsAtASegmentBoundary() throws Exception {
    WsProxy proxy = resources.proxy(p -> p
        .route(Route.builder("chat").path("/chat").upstream(group(a)).build())
        .route(Route.builder("admin").path("/chat/admin").upstream(group(b)).build())
        .route(Route.builder("rest").path("/").upstream(group(c)).build()));

    assertLandsOn(proxy, "/chat", a);
    assertLandsOn(proxy, "/chat/room?x=1", a);
    assertLandsOn(proxy, "/chat/admin/users", b);
    assertLandsOn(proxy, "/chatter", c);
    assertLandsOn(proxy, "/", c);
    assertThat(a.handshakes()).extracting(h -> h.resource()).containsExactly("/chat", "/chat/room?x=1");
  }

  @Test
  void routesByExactAndWildcardHostAndAnswers404WhenNothingMatches() throws Exception {
    WsProxy proxy = resources.proxy(p -> p
        .route(Route.builder("chat").host("chat.example.com").upstream(group(a)).build())
        .route(Route.builder("eu").host("*.example.com").upstream(group(b)).build())
        .route(Route.builder("api").path("/api").upstream(group(c)).build()));

    assertThat(rawHandshake(proxy, "/", "CHAT.example.com:8080").statusCode()).isEqualTo(101);
    assertThat(rawHandshake(proxy, "/x", "eu.example.com").statusCode()).isEqualTo(101);
    assertThat(rawHandshake(proxy, "/api/v1", "other.test").statusCode()).isEqualTo(101);
    HttpHead notFound = rawHandshake(proxy, "/x", "example.com");

    assertThat(a.handshakes()).hasSize(1);
    assertThat(b.handshakes()).hasSize(1);
    assertThat(c.handshakes()).extracting(h -> h.resource()).containsExactly("/api/v1");
    assertThat(notFound.statusCode()).isEqualTo(404);
    assertThat(notFound.bodyText()).contains("no route");
  }

  @Test
  void theProxysOwnUpstreamServesARouteWithoutAGroupAndEverythingWhenThereAreNoRoutes() throws Exception {
    WsProxy routed = resources.proxy(p -> p.upstream(a.uri()).route(Route.builder("chat").path("/chat").build()));
    WsProxy plain = resources.proxy(p -> p.upstream(b.uri()));

    assertLandsOn(routed, "/chat/1", a);
    assertThat(JdkTestClient.handshakeFailureStatus(uri(routed, "/other"))).isEqualTo(404);
    assertLandsOn(plain, "/anything", b);
  }

  @Test
  void aRouteHasItsOwnReadTimeout() throws Exception {
    WsProxy proxy = resources.proxy(p -> p
        .route(Route.builder("fast").path("/fast").upstream(group(a)).readTimeout(Duration.ofMillis(300)).build())
        .route(Route.builder("slow").path("/slow").upstream(group(a)).build()));
    JdkTestClient fast = resources.track(JdkTestClient.connect(uri(proxy, "/fast")));
    JdkTestClient slow = resources.track(JdkTestClient.connect(uri(proxy, "/slow")));

    RecordedClose close = fast.awaitClose(DEADLINE);

    assertThat(close.code()).isEqualTo(1001);
    assertThat(close.reason()).isEqualTo("idle timeout");
    slow.sendText("still here");
    assertThat(slow.awaitText(DEADLINE)).isEqualTo("still here");
  }

  @Test
  void aRouteHasItsOwnConnectTimeout() throws Exception {
    ServerSocket silent = resources.track(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    URI blackHole = URI.create("ws://127.0.0.1:" + silent.getLocalPort());
    WsProxy proxy = resources.proxy(p -> p.connectTimeout(Duration.ofSeconds(30))
        .route(Route.builder("quick").path("/").upstream(group(blackHole)).connectTimeout(Duration.ofMillis(300)).build()));

    long started = System.nanoTime();
    int status = JdkTestClient.handshakeFailureStatus(uri(proxy, "/"));

    assertThat(status).isEqualTo(504);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void aRouteHasItsOwnSendTimeout() throws Exception {
    byte[] chunk = new byte[64 * 1024];
    RawUpstream flood = resources.track(RawUpstream.start(conn -> {
      conn.accept(conn.readRequest());
      conn.socket().setSoTimeout(0);
      try {
        for (int i = 0; i < 1024; i++) {
          conn.sendFrame(WireFrame.binary(chunk));
        }
      } catch (IOException expected) {
        // the proxy cut the upstream leg after the route's send timeout
      }
    }));
    WsProxy proxy = resources.proxy(p -> p.sendTimeout(Duration.ofSeconds(60)).closeTimeout(Duration.ofMillis(500)).route(Route.builder("flood")
        .upstream(group(flood.uri())).sendTimeout(Duration.ofMillis(300)).build()));
    RawClient client = resources.track(RawClient.connect(proxy.port()));
    client.socket().setReceiveBufferSize(16 * 1024);

    assertThat(client.handshake("/").statusCode()).isEqualTo(101);
    flood.awaitScriptsFinished(1, DEADLINE);

    assertThat(flood.failures()).isEmpty();
  }

  /** Appends its name to the X-Chain header sent upstream, so the order of interceptors shows. */
  static final class Tag extends Interceptor {
    private final String name;
    private final UpstreamGroup redirect;

    Tag(String name, UpstreamGroup redirect) {
      this.name = name;
      this.redirect = redirect;
    }

    @Override
    public CompletionStage<Void> onHandshake(Handshake handshake) {
      String sofar = handshake.upstreamHeaders().stream().filter(h -> h.getKey().equals("X-Chain"))
          .map(h -> h.getValue() + ",").findFirst().orElse("");
      handshake.setHeader("X-Chain", sofar + name);
      if (redirect != null) {
        handshake.setUpstream(redirect);
      }
      return PROCEED;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  @Test
  void aRoutesInterceptorsRunAfterTheProxyWideOnesAndMayStillChooseAnotherGroup() throws Exception {
    UpstreamGroup toC = group(c);
    WsProxy proxy = resources.proxy(p -> p.interceptor(new Tag("global", null))
        .route(Route.builder("tagged").path("/tagged").upstream(group(a)).interceptor(new Tag("route", null)).build())
        .route(Route.builder("moved").path("/moved").upstream(group(a)).interceptor(new Tag("mover", toC)).build())
        .route(Route.builder("plain").path("/plain").upstream(group(b)).build()));

    assertLandsOn(proxy, "/tagged", a);
    assertLandsOn(proxy, "/plain", b);
    assertLandsOn(proxy, "/moved", c);

    assertThat(a.handshakes().get(0).header("X-Chain")).isEqualTo("global,route");
    assertThat(b.handshakes().get(0).header("X-Chain")).isEqualTo("global");
    assertThat(c.handshakes().get(0).header("X-Chain")).isEqualTo("global,mover");
  }

  @Test
  void badRoutesAreRefusedNamingTheSetting() {
    assertThatIllegalArgumentException().isThrownBy(() -> Route.builder("r").path("chat")).withMessageContaining("path");
    assertThatIllegalArgumentException().isThrownBy(() -> Route.builder("r").host("a b")).withMessageContaining("host");
    assertThatIllegalArgumentException().isThrownBy(() -> Route.builder("two words")).withMessageContaining("name");
    assertThatIllegalArgumentException().isThrownBy(() -> Route.builder("r").readTimeout(Duration.ZERO))
        .withMessageContaining("readTimeout");
    Route chat = Route.builder("chat").path("/chat").build();
    assertThatIllegalArgumentException().isThrownBy(() -> WsProxy.builder().route(chat).route(chat))
        .withMessageContaining("route");
    assertThatIllegalStateException().isThrownBy(() -> WsProxy.builder().route(chat).build())
        .withMessageContaining("upstream");
  }

  private void assertLandsOn(WsProxy proxy, String target, TestUpstream expected) throws Exception {
    int before = expected.handshakes().size();
    try (JdkTestClient client = JdkTestClient.connect(uri(proxy, target))) {
      client.sendText("ping " + target);
      assertThat(client.awaitText(DEADLINE)).isEqualTo("ping " + target);
    }
    assertThat(expected.handshakes()).as("handshakes on %s for %s", expected, target).hasSize(before + 1);
  }

  private HttpHead rawHandshake(WsProxy proxy, String target, String host) throws Exception {
    try (RawClient client = RawClient.connect(proxy.port())) {
      return client.handshake(target, "Host", host);
    }
  }


  static UpstreamGroup group(TestUpstream upstream) {
    return group(upstream.uri());
  }

  static UpstreamGroup group(URI url) {
    return UpstreamGroup.of(url);
  }


}
