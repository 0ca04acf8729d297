package io.github.wsproxy.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.WsProxyExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The README's "Testing with the fixtures" snippet, kept compiling and passing. */
class ReadmeSnippetTest {
  @RegisterExtension
  WsProxyExtension proxy = WsProxyExtension.echo().proxy(b -> b.readTimeout(Duration.ofSeconds(5)));

  @Test
  void echoesThroughTheProxy() throws Exception {
    JdkTestClient client = proxy.connectJdk();
    client.sendText("hello");
    assertThat(client.awaitText(Duration.ofSeconds(5))).isEqualTo("hello");
  }
}
