package io.github.wsproxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Many clients, each with two messages in flight, echoing through a {@link TestUpstream} directly:
 * every echo must come back, however the server's selector thread and its workers interleave.
 */
class TestUpstreamEchoLoadTest {
  private static final Duration ECHO_TIMEOUT = Duration.ofSeconds(5);

  @Test
  void everyPipelinedEchoComesBack() throws IOException {
    int clients = 40;
    int rounds = 300;
    try (TestUpstream upstream = TestUpstream.startEcho()) {
      List<RawClient> peers = new ArrayList<>();
      try {
        for (int i = 0; i < clients; i++) {
          RawClient client = RawClient.connect(upstream.port());
          peers.add(client);
          client.handshake("/load/" + i);
        }
        for (int round = 0; round < rounds; round++) {
          for (int i = 0; i < clients; i++) {
            peers.get(i).sendFrames(WireFrame.text(i + "-" + round + "a"), WireFrame.text(i + "-" + round + "b"));
          }
          for (int i = 0; i < clients; i++) {
            for (String suffix : List.of("a", "b")) {
              String expected = i + "-" + round + suffix;
              WireFrame echo = peers.get(i).pollFrame(ECHO_TIMEOUT);
              assertThat(echo).as("echo of %s; the upstream's connection %s", expected, describe(upstream, "/load/" + i))
                  .isNotNull();
              assertThat(new String(echo.payload(), StandardCharsets.UTF_8)).isEqualTo(expected);
            }
          }
        }
      } finally {
        for (RawClient peer : peers) {
          peer.close();
        }
      }
    }
  }

  private static String describe(TestUpstream upstream, String path) {
    for (TestUpstream.Conn conn : upstream.connections()) {
      if (path.equals(conn.resource())) {
        return conn + " received " + conn.receivedFrames().size() + " frame(s), unsent output: " + conn.hasUnsentOutput();
      }
    }
    return "(none)";
  }
}
