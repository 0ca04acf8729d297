package io.github.wsproxy.examples.interceptors;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.WsProxyExtension;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The README's "Testing your interceptor" snippet, kept compiling and passing. */
class WordFilterTest {
  @RegisterExtension
  WsProxyExtension proxy = WsProxyExtension.echo().interceptor(new WordFilter(Set.of("darn")));

  @Test
  void masksBannedWordsOnTheWayUp() throws Exception {
    JdkTestClient client = proxy.connectJdk("/chat?room=lobby");
    client.sendText("oh darn it");
    assertThat(client.awaitText(Duration.ofSeconds(5))).isEqualTo("oh *** it");
    assertThat(proxy.upstream().receivedTexts()).containsExactly("oh *** it");
  }

  @Test
  void rejectsClientsThatJoinNoRoom() {
    assertThat(JdkTestClient.handshakeFailureStatus(proxy.proxyUri("/chat"))).isEqualTo(400);
  }
}
