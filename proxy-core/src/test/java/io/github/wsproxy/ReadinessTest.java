package io.github.wsproxy;

import static io.github.wsproxy.Resources.uri;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.Background;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.TestUpstream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link WsProxy#isAccepting()}, {@link WsProxy#isDraining()} and {@link WsProxy#isReady()}: what /readyz answers. */
class ReadinessTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @RegisterExtension
  final Resources resources = new Resources();

  @Test
  void readyWhileAcceptingWithAUsableServerAndNotDrainingNorShuttingDown() throws Exception {
    TestUpstream echo = resources.echo();
    WsProxy proxy = WsProxy.builder().listen(new InetSocketAddress("127.0.0.1", 0)).eventLoops(1)
        .upstream(echo.uri().toString()).build();
    assertThat(proxy.isAccepting()).isFalse();
    assertThat(proxy.isReady()).isFalse();
    proxy.start();
    assertThat(proxy.isAccepting()).isTrue();
    assertThat(proxy.isReady()).isTrue();
    assertThat(proxy.isDraining()).isFalse();
    JdkTestClient open = JdkTestClient.connect(uri(proxy, "/"));

    proxy.drain();

    assertThat(proxy.isReady()).isFalse();
    assertThat(proxy.isDraining()).isTrue();
    assertThat(proxy.isAccepting()).isTrue();
    try (JdkTestClient during = JdkTestClient.connect(uri(proxy, "/"))) {
      during.sendText("still accepted while draining");
      assertThat(during.awaitText(DEADLINE)).isEqualTo("still accepted while draining");
    }
    CompletableFuture<Void> shutdown = Background.run(() -> proxy.shutdown(Duration.ofSeconds(30)));
    Await.until(() -> !proxy.isAccepting(), DEADLINE, "accepting ends as the shutdown begins");
    assertThat(shutdown).isNotDone();
    open.close();
    shutdown.get();
  }

  @Test
  void notReadyWhileEveryUpstreamServerIsDown() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    TestUpstream echo = resources.echo();
    HealthCheck check = HealthCheck.tcp().interval(Duration.ofMillis(100)).timeout(Duration.ofMillis(500));
    WsProxy proxy = resources.proxy(p -> p.upstream(UpstreamGroup.builder()
        .server("ws://127.0.0.1:" + closedPort).healthCheck(check).build()));
    Await.until(() -> !proxy.isReady(), DEADLINE, "not ready once the only server is down");
    assertThat(proxy.isAccepting()).isTrue();

    proxy.replaceUpstream(UpstreamGroup.builder().server("ws://127.0.0.1:" + closedPort).server(echo.uri().toString())
        .healthCheck(check).build());

    Await.until(proxy::isReady, DEADLINE, "ready once a server is up");
  }
}
