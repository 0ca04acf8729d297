package io.github.wsproxy.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Drives the extension's callbacks by hand, so that the test still says something useful while
 * the proxy engine cannot start: then it checks that nothing is left running.
 */
class WsProxyExtensionTest {
  private static final Duration T = Duration.ofSeconds(5);

  @Test
  void startsUpstreamAndProxyAndClosesEverything() throws Exception {
    WsProxyExtension ext = WsProxyExtension.echo()
        .upstream(u -> u.subprotocols("chat"))
        .proxy(p -> p.eventLoops(1));
    assertThatThrownBy(ext::proxy).isInstanceOf(IllegalStateException.class);
    int upstreamPort;
    try {
      ext.beforeEach(null);
    } catch (Exception | Error e) {
      // The engine is not functional yet: the extension must not leave the upstream running.
      assertThatThrownBy(ext::upstream).isInstanceOf(IllegalStateException.class);
      Assumptions.abort("proxy cannot start yet: " + e);
    }
    try {
      upstreamPort = ext.upstream().port();
      assertThat(ext.proxyUri().toString()).isEqualTo("ws://127.0.0.1:" + ext.proxy().port());
      JdkTestClient client = ext.connectJdk("/room");
      client.sendText("hi");
      assertThat(client.awaitText(T)).isEqualTo("hi");
      assertThat(ext.upstream().handshakes().get(0).resource()).isEqualTo("/room");
    } finally {
      ext.afterEach(null);
    }
    assertThatThrownBy(() -> RawClient.connect(upstreamPort)).isInstanceOf(ConnectException.class);
  }

  @Test
  void rawUpstreamVariant() throws Exception {
    WsProxyExtension ext = WsProxyExtension.raw(RawUpstream.echo());
    assertThatThrownBy(() -> ext.upstream(u -> {})).isInstanceOf(IllegalStateException.class);
    try {
      ext.beforeEach(null);
    } catch (Exception | Error e) {
      assertThatThrownBy(ext::rawUpstream).isInstanceOf(IllegalStateException.class);
      Assumptions.abort("proxy cannot start yet: " + e);
    }
    try {
      RawClient client = ext.connectRaw();
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);
      client.sendFrame(WireFrame.text("x"));
      assertThat(client.readFrame(T)).isEqualTo(WireFrame.text("x"));
    } catch (IOException e) {
      throw new AssertionError(e);
    } finally {
      ext.afterEach(null);
    }
  }
}
