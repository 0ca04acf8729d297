package io.github.wsproxy.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JdkTestClientTest {
  private static final Duration T = Duration.ofSeconds(5);

  @Test
  void echoesMessagesAndJoinsFragments() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho();
        JdkTestClient client = JdkTestClient.connect(upstream.uri("/x?y=1"))) {
      client.sendText("hello");
      assertThat(client.awaitText(T)).isEqualTo("hello");
      client.sendBinary(new byte[] {1, 2, 3});
      assertThat(client.awaitBinary(T)).containsExactly(1, 2, 3);
      client.sendText("ab", false);
      client.sendText("cd", true);
      assertThat(client.awaitText(T)).isEqualTo("abcd");
      client.sendPing(new byte[] {5});
      assertThat(client.awaitPong(T)).containsExactly(5);
      assertThat(upstream.handshakes().get(0).resource()).isEqualTo("/x?y=1");
      assertThat(upstream.receivedTexts()).containsExactly("hello", "abcd");
      assertThat(upstream.receivedFrames()).contains(WireFrame.textFragment("ab"),
          WireFrame.continuation("cd", true));

      upstream.sendFramesToAll(List.of(
          WireFrame.textFragment("x"), WireFrame.ping(new byte[] {6}), WireFrame.continuation("y", true)));
      assertThat(client.awaitText(T)).isEqualTo("xy");
      assertThat(client.awaitPing(T)).containsExactly(6);
      assertThat(client.pollText(Duration.ofMillis(20))).isNull();
    }
  }

  @Test
  void serverCloseWithCodeAndWithout() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho()) {
      try (JdkTestClient client = JdkTestClient.connect(upstream.uri())) {
        upstream.awaitOpenConnections(1, T);
        upstream.closeAll(4000, "bye");
        assertThat(client.awaitClose(T)).isEqualTo(new RecordedClose(4000, "bye", true));
      }
      try (JdkTestClient client = JdkTestClient.connect(upstream.uri())) {
        upstream.awaitOpenConnections(1, T);
        upstream.closeAllWithoutCode();
        assertThat(client.awaitClose(T).code()).isEqualTo(1005);
      }
    }
  }

  @Test
  void clientCloseIsRecordedByUpstream() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho();
        JdkTestClient client = JdkTestClient.connect(upstream.uri())) {
      client.sendClose(4001, "done");
      assertThat(client.awaitClose(T)).isEqualTo(new RecordedClose(4001, "done", true));
      assertThat(upstream.awaitCloses(1, T)).containsExactly(new RecordedClose(4001, "done", true));
    }
  }

  @Test
  void droppedConnectionIsReportedAs1006() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho();
        JdkTestClient client = JdkTestClient.connect(upstream.uri())) {
      upstream.awaitOpenConnections(1, T);
      upstream.dropAll();
      assertThat(client.awaitClose(T)).isEqualTo(new RecordedClose(1006, "", true));
      assertThatThrownBy(() -> client.awaitText(Duration.ofMillis(10)))
          .hasMessageContaining("closed by server with 1006");
    }
  }

  @Test
  void protocolViolationIsAnError() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho();
        JdkTestClient client = JdkTestClient.connect(upstream.uri())) {
      upstream.awaitOpenConnections(1, T);
      upstream.connections().get(0).sendFramesMasked(List.of(WireFrame.text("masked")));
      assertThat(client.awaitError(T)).isNotNull();
    }
  }

  @Test
  void subprotocolsAndHeaders() throws Exception {
    try (TestUpstream upstream = TestUpstream.builder().subprotocols("a", "b").start();
        JdkTestClient client =
            JdkTestClient.connect(upstream.uri(), List.of("b", "a"), Map.of("X-Test", "1"))) {
      assertThat(client.subprotocol()).isEqualTo("b");
      RecordedHandshake handshake = upstream.awaitHandshakes(1, T).get(0);
      assertThat(handshake.header("x-test")).isEqualTo("1");
      assertThat(handshake.header("sec-websocket-protocol")).isEqualTo("b, a");
    }
  }

  @Test
  void handshakeFailureStatusAndBody() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(
        RawUpstream.rejecting(403, "Forbidden", Map.of("X-Why", "test"), "denied"))) {
      assertThat(JdkTestClient.handshakeFailureStatus(upstream.uri())).isEqualTo(403);
      WebSocketHandshakeException e =
          JdkTestClient.handshakeFailure(upstream.uri(), List.of(), Map.of());
      assertThat(e.getResponse().headers().firstValue("x-why")).hasValue("test");
      assertThat(e.getResponse().body()).isEqualTo("denied");
      assertThatThrownBy(() -> JdkTestClient.connect(upstream.uri()))
          .isInstanceOf(WebSocketHandshakeException.class);
    }
    try (TestUpstream upstream = TestUpstream.startEcho()) {
      assertThatThrownBy(() -> JdkTestClient.handshakeFailureStatus(upstream.uri()))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("succeeded");
    }
  }

  @Test
  void binaryFromServerAndLargeText() throws Exception {
    String big = "é".repeat(100_000);
    try (TestUpstream upstream = TestUpstream.startEcho();
        JdkTestClient client = JdkTestClient.connect(upstream.uri())) {
      client.sendText(big);
      assertThat(client.awaitText(T)).isEqualTo(big);
      upstream.sendBinaryToAll("z".getBytes(StandardCharsets.UTF_8));
      assertThat(client.awaitBinary(T)).isEqualTo("z".getBytes(StandardCharsets.UTF_8));
    }
  }
}
