package io.github.wsproxy.examples.interceptors;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.WsProxyExtension;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class FirstMessageAuthTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  /** An "auth service" that answers on another thread after 50 ms. */
  private static CompletableFuture<Boolean> verify(String token) {
    return CompletableFuture.supplyAsync(() -> token.equals("token-42"),
        CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
  }

  @RegisterExtension
  WsProxyExtension proxy = WsProxyExtension.echo()
      .upstream(b -> b.onOpen(conn -> conn.send("greeting")))
      .interceptor(new FirstMessageAuth(FirstMessageAuthTest::verify, Duration.ofSeconds(1)));

  @Test
  void relaysNothingUntilTheTokenPassesThenEverythingInOrder() throws Exception {
    JdkTestClient client = proxy.connectJdk();
    proxy.upstream().awaitOpenConnections(1, DEADLINE);
    assertThat(client.pollText(Duration.ofMillis(200))).isNull();

    client.sendText("token-42");
    client.sendText("first real message");
    assertThat(client.awaitText(DEADLINE)).isEqualTo("greeting");
    assertThat(client.awaitText(DEADLINE)).isEqualTo("first real message");
    assertThat(proxy.upstream().receivedTexts()).containsExactly("first real message");
  }

  @Test
  void closesWith1008OnABadTokenAndRelaysNothing() throws Exception {
    JdkTestClient client = proxy.connectJdk();
    client.sendText("guess");
    client.sendText("sneaky");
    assertThat(client.awaitClose(DEADLINE).code()).isEqualTo(1008);
    assertThat(proxy.upstream().awaitCloses(1, DEADLINE).get(0).code()).isEqualTo(1008);
    assertThat(proxy.upstream().receivedTexts()).isEmpty();
  }

  @Test
  void closesWith1008WhenNoTokenComesInTime() throws Exception {
    JdkTestClient client = proxy.connectJdk();
    assertThat(client.awaitClose(DEADLINE).code()).isEqualTo(1008);
  }
}
