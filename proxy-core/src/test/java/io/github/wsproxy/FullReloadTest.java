package io.github.wsproxy;

import static io.github.wsproxy.Resources.uri;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RecordedClose;
import io.github.wsproxy.testing.TestUpstream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link WsProxy#reconfigure(WsProxy)}: every setting that needs no rebinding reaches new connections; open ones keep theirs. */
class FullReloadTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @RegisterExtension
  final Resources resources = new Resources();

  @Test
  void aShorterReadTimeoutClosesNewIdleConnectionsWhileOpenOnesKeepTheirs() throws Exception {
    TestUpstream echo = resources.echo();
    WsProxy proxy = resources.proxy(p -> p.upstream(echo.uri().toString()).readTimeout(Duration.ofSeconds(60)));
    JdkTestClient before = resources.track(JdkTestClient.connect(uri(proxy, "/before")));

    List<String> needRestart = proxy.reconfigure(proxy.newBuilder().readTimeout(Duration.ofMillis(300)).build());

    assertThat(needRestart).isEmpty();
    assertThat(proxy.readTimeout()).isEqualTo(Duration.ofMillis(300));
    JdkTestClient after = resources.track(JdkTestClient.connect(uri(proxy, "/after")));
    RecordedClose close = after.awaitClose(DEADLINE);
    assertThat(close.code()).isEqualTo(1001);
    assertThat(close.reason()).isEqualTo("idle timeout");
    before.sendText("still here");
    assertThat(before.awaitText(DEADLINE)).isEqualTo("still here");
  }

  @Test
  void originsLimitsAndTrustedProxiesApplyToTheNextHandshake() throws Exception {
    TestUpstream echo = resources.echo();
    WsProxy proxy = resources.proxy(p -> p.upstream(echo.uri().toString()));
    JdkTestClient open = resources.track(JdkTestClient.connect(uri(proxy, "/")));
    try (RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/", "Origin", "https://elsewhere.example").statusCode()).isEqualTo(101);
    }

    Await.until(() -> proxy.connections().size() == 1, DEADLINE, "the first raw client counted out");
    proxy.reconfigure(proxy.newBuilder().allowedOrigins(List.of("https://app.example")).maxConnections(2)
        .trustedProxies(List.of("127.0.0.1")).build());

    try (RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/", "Origin", "https://elsewhere.example").statusCode()).isEqualTo(403);
    }
    try (RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/", "X-Forwarded-For", "203.0.113.9").statusCode()).isEqualTo(101);
      assertThat(echo.handshakes().get(echo.handshakes().size() - 1).header("X-Forwarded-For"))
          .isEqualTo("203.0.113.9, 127.0.0.1");
      try (RawClient third = RawClient.connect(proxy.port())) {
        assertThat(third.handshake("/").statusCode()).isEqualTo(503);
      }
    }
    open.sendText("kept");
    assertThat(open.awaitText(DEADLINE)).isEqualTo("kept");
  }

  @Test
  void listenAddressesAndEventLoopsNeedARestartAndAreNamed() throws Exception {
    TestUpstream echo = resources.echo();
    WsProxy proxy = resources.proxy(p -> p.upstream(echo.uri().toString()));
    int port = proxy.port();
    IoTransport transport = proxy.transport();
    IoTransport other = transport == IoTransport.NIO ? IoTransport.AUTO : IoTransport.NIO;

    List<String> needRestart = proxy.reconfigure(proxy.newBuilder().listen(new InetSocketAddress("127.0.0.1", 1))
        .eventLoops(3).acceptBacklog(7).transport(other).sendTimeout(Duration.ofSeconds(9)).build());

    assertThat(needRestart).containsExactly("listen", "eventLoops", "acceptBacklog", "transport");
    assertThat(proxy.port()).isEqualTo(port);
    assertThat(proxy.eventLoops()).isEqualTo(2);
    assertThat(proxy.transport()).isEqualTo(transport);
    assertThat(proxy.sendTimeout()).isEqualTo(Duration.ofSeconds(9));
    JdkTestClient client = resources.track(JdkTestClient.connect(uri(proxy, "/")));
    client.sendText("same port");
    assertThat(client.awaitText(DEADLINE)).isEqualTo("same port");
  }
}
