package io.github.wsproxy.examples.socketio;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The socket.io peers work with each other directly, so a failure through the proxy is the proxy's. */
class SocketIoPeersTest {

  @BeforeAll
  static void node() throws Exception {
    SocketIoPeers.assumeNode();
  }

  @Test
  void defaultClientPollsUpgradesAndEchoesWithTheServerDirectly() throws Exception {
    try (SocketIoPeers.Server server = SocketIoPeers.startServer("alpha")) {
      SocketIoPeers.ClientRun run = SocketIoPeers.runClient(server.url(), 3);

      assertThat(run.error()).isNull();
      assertThat(run.server()).isEqualTo("alpha");
      assertThat(run.transport()).as("upgraded from polling").isEqualTo("websocket");
      assertThat(run.echoes()).isEqualTo(3);
    }
  }

  @Test
  void clientReportsAConnectErrorWhenNoServerAnswers() throws Exception {
    String url;
    try (SocketIoPeers.Server server = SocketIoPeers.startServer("alpha")) {
      url = server.url();
    }
    SocketIoPeers.ClientRun run = SocketIoPeers.runClient(url, 1);

    assertThat(run.error()).startsWith("connect_error");
    assertThat(run.echoes()).isZero();
  }
}
