package io.github.wsproxy.examples.socketio;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.WsProxy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * socket.io's own server and client (Node, socket.io 4.8) with the client's default transports
 * through the proxy: HTTP long polling first, then the upgrade to WebSocket, messages both ways on
 * each, as nginx's recipe carries them.
 */
class SocketIoThroughProxyTest {

  @BeforeAll
  static void node() throws Exception {
    SocketIoPeers.assumeNode();
  }

  @Test
  void twoServersKeepEachSessionOnOneServerWithTheAffinityCookie() throws Exception {
    try (SocketIoPeers.Server alpha = SocketIoPeers.startServer("alpha");
        SocketIoPeers.Server beta = SocketIoPeers.startServer("beta");
        WsProxy proxy = WsProxy.builder().listen(new InetSocketAddress("127.0.0.1", 0))
            .upstream(UpstreamGroup.builder().server("ws://127.0.0.1:" + alpha.port())
                .server("ws://127.0.0.1:" + beta.port()).build())
            .affinityCookie("WSPROXY_SERVER", Duration.ZERO).build()) {
      proxy.start();
      Set<String> servers = new HashSet<>();
      for (int i = 0; i < 4; i++) {
        SocketIoPeers.ClientRun run = SocketIoPeers.runClient("http://127.0.0.1:" + proxy.port(), 3);
        assertThat(run.error()).as("run " + i).isNull();
        assertThat(run.transport()).isEqualTo("websocket");
        assertThat(run.echoes()).isEqualTo(3);
        servers.add(run.server());
      }
      assertThat(servers).as("new sessions still balanced").containsExactlyInAnyOrder("alpha", "beta");
    }
  }

  @Test
  void defaultClientPollsUpgradesAndEchoesThroughTheProxy() throws Exception {
    try (SocketIoPeers.Server server = SocketIoPeers.startServer("alpha");
        WsProxy proxy = WsProxy.builder().listen(new InetSocketAddress("127.0.0.1", 0))
            .upstream(URI.create("ws://127.0.0.1:" + server.port())).build()) {
      proxy.start();
      SocketIoPeers.ClientRun run = SocketIoPeers.runClient("http://127.0.0.1:" + proxy.port(), 3);

      assertThat(run.error()).isNull();
      assertThat(run.server()).isEqualTo("alpha");
      assertThat(run.transport()).as("upgraded from polling").isEqualTo("websocket");
      assertThat(run.echoes()).isEqualTo(3);
    }
  }
}
