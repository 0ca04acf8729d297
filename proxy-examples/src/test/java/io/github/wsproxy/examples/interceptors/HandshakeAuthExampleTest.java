package io.github.wsproxy.examples.interceptors;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.WsProxyExtension;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HandshakeAuthExampleTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @RegisterExtension
  WsProxyExtension proxy = WsProxyExtension.echo().interceptor(new BearerTokenAuth(Set.of("s3cret")::contains));

  @Test
  void acceptsAValidTokenFromTheHeaderOrTheQueryAndHidesItFromTheUpstream() throws Exception {
    try (JdkTestClient client = JdkTestClient.connect(proxy.proxyUri("/"), List.of(),
        Map.of("Authorization", "Bearer s3cret"))) {
      client.sendText("hi");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("hi");
    }
    try (JdkTestClient client = JdkTestClient.connect(proxy.proxyUri("/?access_token=s3cret"))) {
      client.sendText("hi");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("hi");
    }
    assertThat(proxy.upstream().awaitHandshakes(2, DEADLINE).get(0).header("Authorization")).isNull();
  }

  @Test
  void rejectsAMissingOrWrongTokenWith401AndAChallenge() {
    WebSocketHandshakeException missing = JdkTestClient.handshakeFailure(proxy.proxyUri("/"), List.of(), Map.of());
    assertThat(missing.getResponse().statusCode()).isEqualTo(401);
    assertThat(missing.getResponse().headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"wsproxy\"");

    WebSocketHandshakeException wrong = JdkTestClient.handshakeFailure(proxy.proxyUri("/"), List.of(),
        Map.of("Authorization", "Bearer guess"));
    assertThat(wrong.getResponse().statusCode()).isEqualTo(401);
    assertThat(wrong.getResponse().headers().firstValue("WWW-Authenticate").orElseThrow()).contains("invalid_token");
    assertThat(proxy.upstream().handshakes()).isEmpty();
  }
}
