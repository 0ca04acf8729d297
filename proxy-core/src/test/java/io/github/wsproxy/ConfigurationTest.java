package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
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
    assertThatThrownBy(() -> builder.transport(null)).isInstanceOf(NullPointerException.class)
        .hasMessageStartingWith("transport");
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
  void derivesABuilderThatCarriesEverySetting() throws Exception {
    WsProxy proxy = WsProxy.builder()
        .listen(new InetSocketAddress("127.0.0.1", 0)).upstream("ws://127.0.0.1:9/base")
        .route(Route.builder("chat").path("/chat").build())
        .drainTimeout(Duration.ofSeconds(1)).closeSpread(Duration.ofSeconds(2))
        .readTimeout(Duration.ofSeconds(3)).sendTimeout(Duration.ofSeconds(4))
        .connectTimeout(Duration.ofSeconds(5)).handshakeTimeout(Duration.ofSeconds(6))
        .closeTimeout(Duration.ofSeconds(7)).maxHeaderBytes(2048).maxMessageBytes(4096).validateUtf8(false)
        .preserveHost(true).permessageDeflate(false).nonUpgradeStatus(400).eventLoops(3).acceptBacklog(7)
        .transport(IoTransport.NIO).upstreamTls(UpstreamTls.systemTrust()).interceptor(new Interceptor() {})
        .eventListener(new ProxyEventListener() {}).interceptorTimeout(Duration.ofSeconds(8))
        .maxConnections(9).maxConnectionsPerIp(10).maxHandshakesPerSecondPerIp(11).maxFrameBytes(512)
        .allowedOrigins(List.of("https://app.example")).trustedProxies(List.of("10.0.0.0/8"))
        .clientPingInterval(Duration.ofSeconds(12)).upstreamPingInterval(Duration.ofSeconds(13))
        .pongTimeout(Duration.ofSeconds(14))
        .plainHttp(false).maxRequestBodyBytes(15).upstreamKeepAlive(16).upstreamKeepAliveTimeout(Duration.ofSeconds(17))
        .affinityCookie("SRV", Duration.ofSeconds(18))
        .build();
    WsProxy defaults = WsProxy.builder().upstream("ws://127.0.0.1:9/base").build();
    WsProxy derived = proxy.newBuilder().build();

    // Every configuration accessor; not the ones that need a started proxy, nor its lifecycle state.
    Set<String> notSet = Set.of("listenTls", "upstreamTlsInsecureSkipVerify", "upstream", "upstreamGroup");
    Set<String> needStart = Set.of("port", "boundAddress", "boundAddresses", "connections", "upstreamStates",
        "isAccepting", "isReady", "isDraining");
    int compared = 0;
    for (Method accessor : WsProxy.class.getDeclaredMethods()) {
      if (!Modifier.isPublic(accessor.getModifiers()) || Modifier.isStatic(accessor.getModifiers())
          || accessor.getParameterCount() > 0 || accessor.getReturnType() == void.class
          || accessor.getReturnType() == WsProxy.Builder.class || needStart.contains(accessor.getName())) {
        continue;
      }
      Object value = accessor.invoke(proxy);
      assertThat(accessor.invoke(derived)).as(accessor.getName()).isEqualTo(value);
      if (!notSet.contains(accessor.getName())) {
        assertThat(accessor.invoke(defaults)).as(accessor.getName() + " is set apart from its default")
            .isNotEqualTo(value);
      }
      compared++;
    }
    assertThat(compared).as("accessors compared").isGreaterThan(30);
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
