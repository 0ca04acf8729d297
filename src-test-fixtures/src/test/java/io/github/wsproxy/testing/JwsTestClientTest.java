package io.github.wsproxy.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JwsTestClientTest {
  private static final Duration T = Duration.ofSeconds(5);

  @Test
  void echoAndExactFrames() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho();
        JwsTestClient client = JwsTestClient.connect(upstream.uri("/a"))) {
      client.sendText("hi");
      assertThat(client.awaitText(T)).isEqualTo("hi");
      client.sendBinary(new byte[] {4});
      assertThat(client.awaitBinary(T)).containsExactly(4);
      client.sendFrames(List.of(
          WireFrame.textFragment("he"), WireFrame.ping(new byte[] {1}), WireFrame.continuation("y", true)));
      assertThat(client.awaitPong(T)).containsExactly(1);
      assertThat(client.awaitText(T)).isEqualTo("hey");
      assertThat(upstream.receivedFrames()).containsSubsequence(
          WireFrame.textFragment("he"), WireFrame.ping(new byte[] {1}), WireFrame.continuation("y", true));
      assertThat(client.receivedFrames()).contains(WireFrame.text("hey"), WireFrame.pong(new byte[] {1}));
      assertThat(client.receivedFrames()).noneMatch(WireFrame::masked);
      assertThat(client.handshakeResponse().statusCode()).isEqualTo(101);

      upstream.sendFramesToAll(List.of(WireFrame.ping(new byte[] {2})));
      assertThat(client.awaitPing(T)).containsExactly(2);
    }
  }

  @Test
  void deflateSubprotocolsAndHeaders() throws Exception {
    try (TestUpstream upstream =
            TestUpstream.builder().permessageDeflate(true).subprotocols("b").start();
        JwsTestClient client =
            JwsTestClient.connect(upstream.uri(), Map.of("X-Id", "7"), List.of("a", "b"), true)) {
      assertThat(client.subprotocol()).isEqualTo("b");
      assertThat(client.handshakeHeader("sec-websocket-extensions")).startsWith("permessage-deflate");
      assertThat(upstream.awaitHandshakes(1, T).get(0).header("x-id")).isEqualTo("7");
      String big = "abc".repeat(3000);
      client.sendText(big);
      assertThat(client.awaitText(T)).isEqualTo(big);
      assertThat(upstream.receivedTexts()).containsExactly(big);
      assertThat(upstream.receivedFrames()).singleElement().satisfies(f -> {
        assertThat(f.rsv1()).isTrue();
        assertThat(f.length()).isLessThan(big.length());
      });
      assertThat(client.receivedFrames()).anyMatch(WireFrame::rsv1);
    }
  }

  @Test
  void closesBothWays() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho()) {
      try (JwsTestClient client = JwsTestClient.connect(upstream.uri())) {
        upstream.awaitOpenConnections(1, T);
        upstream.closeAll(4000, "bye");
        assertThat(client.awaitClose(T)).isEqualTo(new RecordedClose(4000, "bye", true));
      }
      try (JwsTestClient client = JwsTestClient.connect(upstream.uri())) {
        client.close(4002, "me");
        assertThat(client.awaitClose(T)).isEqualTo(new RecordedClose(4002, "me", false));
        assertThat(upstream.awaitCloses(2, T).get(1)).isEqualTo(new RecordedClose(4002, "me", true));
      }
    }
  }

  @Test
  void handshakeFailure() throws Exception {
    try (RawUpstream upstream =
        RawUpstream.start(RawUpstream.rejecting(401, "Unauthorized", Map.of(), "no"))) {
      assertThatThrownBy(() -> JwsTestClient.connect(upstream.uri()))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("401");
      HttpHead head = JwsTestClient.handshakeFailure(upstream.uri(), Map.of());
      assertThat(head.statusCode()).isEqualTo(401);
    }
  }

  @Test
  void closeEndsLibraryThreads() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho()) {
      for (int i = 0; i < 3; i++) {
        JwsTestClient client = JwsTestClient.connect(upstream.uri());
        client.close();
      }
      JwsTestClient aborted = JwsTestClient.connect(upstream.uri());
      aborted.abort();
      aborted.close();
      Await.until(() -> Thread.getAllStackTraces().keySet().stream()
              .noneMatch(t -> t.getName().startsWith("WebSocketConnectReadThread")
                  || t.getName().startsWith("WebSocketWriteThread")),
          T, "client threads to end");
    }
  }
}
