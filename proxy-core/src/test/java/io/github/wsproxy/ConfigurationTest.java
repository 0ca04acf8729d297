package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Invalid configuration is refused with an exception that names the setting. */
class ConfigurationTest {

  @Test
  void refusesInvalidSettingsNamingThem() {
    WsProxy.Builder builder = WsProxy.builder();
    assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("upstream");
    assertThatThrownBy(() -> builder.upstream("http://x")).hasMessageStartingWith("upstream");
    assertThatThrownBy(() -> builder.upstream("ftp://x")).hasMessageStartingWith("upstream");
    assertThatThrownBy(() -> builder.upstream("ws://x/?q=1")).hasMessageStartingWith("upstream");
    assertThatThrownBy(() -> builder.upstream("ws:// bad")).hasMessageStartingWith("upstream");
    assertThatThrownBy(() -> builder.readTimeout(Duration.ZERO)).hasMessageStartingWith("readTimeout");
    assertThatThrownBy(() -> builder.sendTimeout(Duration.ofSeconds(-1))).hasMessageStartingWith("sendTimeout");
    assertThatThrownBy(() -> builder.connectTimeout(Duration.ZERO)).hasMessageStartingWith("connectTimeout");
    assertThatThrownBy(() -> builder.handshakeTimeout(Duration.ZERO)).hasMessageStartingWith("handshakeTimeout");
    assertThatThrownBy(() -> builder.closeTimeout(Duration.ZERO)).hasMessageStartingWith("closeTimeout");
    assertThatThrownBy(() -> builder.maxHeaderBytes(10)).hasMessageStartingWith("maxHeaderBytes");
    assertThatThrownBy(() -> builder.maxMessageBytes(10)).hasMessageStartingWith("maxMessageBytes");
    assertThatThrownBy(() -> builder.eventLoops(0)).hasMessageStartingWith("eventLoops");
    assertThatThrownBy(() -> builder.nonUpgradeStatus(200)).hasMessageStartingWith("nonUpgradeStatus");
    assertThatThrownBy(() -> builder.acceptBacklog(0)).hasMessageStartingWith("acceptBacklog");
    assertThatThrownBy(() -> builder.listen(InetSocketAddress.createUnresolved("nowhere", 1)))
        .hasMessageStartingWith("listen");
  }

  @Test
  void keepsTheBuiltConfigurationImmutable() {
    WsProxy.Builder builder = WsProxy.builder().upstream("ws://127.0.0.1:9/base").readTimeout(Duration.ofSeconds(7));
    WsProxy proxy = builder.build();
    builder.readTimeout(Duration.ofSeconds(99));

    assertThat(proxy.readTimeout()).isEqualTo(Duration.ofSeconds(7));
    assertThat(proxy.newBuilder().build().upstream()).hasToString("ws://127.0.0.1:9/base");
  }

  @Test
  void refusesToStartTwiceOrOnAPortInUse() throws Exception {
    try (WsProxy proxy = WsProxy.builder().listen(new InetSocketAddress("127.0.0.1", 0))
        .upstream("ws://127.0.0.1:9").build()) {
      proxy.start();
      assertThatThrownBy(proxy::start).isInstanceOf(IllegalStateException.class);

      WsProxy clash = proxy.newBuilder().listen(proxy.boundAddress()).build();
      assertThatThrownBy(clash::start).isInstanceOf(IOException.class);
      clash.close();
    }
  }
}
