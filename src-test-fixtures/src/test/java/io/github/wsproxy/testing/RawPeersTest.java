package io.github.wsproxy.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RawPeersTest {
  private static final Duration T = Duration.ofSeconds(5);

  @Test
  void echoScriptRoundTrip() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.echo());
        RawClient client = RawClient.connect(upstream.port())) {
      Map<String, String> extra = new LinkedHashMap<>();
      extra.put("Origin", "http://test");
      extra.put("Sec-WebSocket-Version", "13");
      HttpHead response = client.handshake("/p?q=1", extra);
      assertThat(response.statusCode()).isEqualTo(101);
      assertThat(response.header("sec-websocket-accept")).isEqualTo(client.expectedAccept());

      HttpHead request = upstream.awaitRequests(1, T).get(0);
      assertThat(request.target()).isEqualTo("/p?q=1");
      assertThat(request.header("Host")).isEqualTo("127.0.0.1:" + upstream.port());
      assertThat(request.headers("Sec-WebSocket-Version")).containsExactly("13");
      assertThat(request.header("Origin")).isEqualTo("http://test");

      client.sendFrames(
          WireFrame.textFragment("he"), WireFrame.ping(new byte[] {7}), WireFrame.continuation("y", true));
      assertThat(client.readFrame(T)).isEqualTo(WireFrame.textFragment("he"));
      assertThat(client.readFrame(T)).isEqualTo(WireFrame.pong(new byte[] {7}));
      WireFrame last = client.readFrame(T);
      assertThat(last).isEqualTo(WireFrame.continuation("y", true));
      assertThat(last.masked()).isFalse();

      client.sendFrame(WireFrame.close(4000, "bye"));
      WireFrame close = client.readFrame(T);
      assertThat(close.closeCode()).isEqualTo(4000);
      assertThat(close.closeReason()).isEqualTo("bye");
      assertThat(client.awaitEof(T)).isTrue();
      assertThat(client.wasReset()).isFalse();

      upstream.awaitScriptsFinished(1, T);
      assertThat(upstream.receivedFrames()).hasSize(4).allMatch(WireFrame::masked);
      upstream.assertNoFailures();
    }
  }

  @Test
  void rejectingScript() throws Exception {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("X-Reason", "nope");
    try (RawUpstream upstream =
            RawUpstream.start(RawUpstream.rejecting(403, "Forbidden", headers, "go away"));
        RawClient client = RawClient.connect(upstream.port())) {
      HttpHead response = client.handshake("/");
      assertThat(response.statusCode()).isEqualTo(403);
      assertThat(response.reason()).isEqualTo("Forbidden");
      assertThat(response.header("x-reason")).isEqualTo("nope");
      assertThat(response.header("Content-Length")).isEqualTo("7");
      assertThat(response.bodyText()).isEqualTo("go away");
      assertThat(client.awaitEof(T)).isTrue();
      assertThat(upstream.connectionCount()).isEqualTo(1);
    }
  }

  @Test
  void silentScriptNeverAnswers() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.silent());
        RawClient client = RawClient.connect(upstream.port())) {
      client.sendHandshakeRequest("/", Map.of());
      assertThatThrownBy(() -> client.readResponse(Duration.ofMillis(200)))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("timed out");
      assertThat(client.awaitEof(Duration.ofMillis(100))).isFalse();
      upstream.awaitConnections(1, T);
    }
  }

  @Test
  void partialFrameSurvivesTimeouts() throws Exception {
    CountDownLatch proceed = new CountDownLatch(1);
    byte[] bytes = WireFrame.binary(new byte[300]).encode(null);
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          c.sendRaw(Arrays.copyOf(bytes, 100));
          proceed.await(5, TimeUnit.SECONDS);
          c.sendRaw(Arrays.copyOfRange(bytes, 100, bytes.length));
          c.awaitEof(T);
        });
        RawClient client = RawClient.connect(upstream.port())) {
      client.handshake("/");
      assertThat(client.pollFrame(Duration.ofMillis(100))).isNull();
      proceed.countDown();
      assertThat(client.readFrame(T).length()).isEqualTo(300);
      client.close();
      upstream.awaitScriptsFinished(1, T);
      upstream.assertNoFailures();
    }
  }

  @Test
  void abortIsSeenAsReset() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          assertThat(c.awaitEof(T)).isTrue();
          assertThat(c.wasReset()).isTrue();
        });
        RawClient client = RawClient.connect(upstream.port())) {
      client.handshake("/");
      client.abort();
      upstream.awaitScriptsFinished(1, T);
      upstream.assertNoFailures();
    }
  }

  @Test
  void scriptFailuresAreRecordedAndUpstreamResetIsSeen() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.readRequest();
          c.abort();
          throw new IllegalStateException("boom");
        });
        RawClient client = RawClient.connect(upstream.port())) {
      Map<String, String> extra = new LinkedHashMap<>();
      extra.put("sec-websocket-key", "x");
      extra.put("Upgrade", null);
      client.sendHandshakeRequest("/", extra);
      assertThat(client.awaitEof(T)).isTrue();
      assertThat(client.wasReset()).isTrue();
      upstream.awaitScriptsFinished(1, T);
      assertThat(upstream.failures()).singleElement().hasFieldOrPropertyWithValue("message", "boom");
      assertThatThrownBy(upstream::assertNoFailures).hasCauseInstanceOf(IllegalStateException.class);
      HttpHead request = upstream.requests().get(0);
      assertThat(request.header("Upgrade")).isNull();
      assertThat(request.header("Sec-WebSocket-Key")).isEqualTo("x");
      assertThat(client.key()).isEqualTo("x");
    }
  }

  @Test
  void readingAfterEofFailsClearly() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> c.sendFrames(List.of(WireFrame.text("a"))));
        RawClient client = RawClient.connect(upstream.port())) {
      assertThat(client.readFrame(T).payloadText()).isEqualTo("a");
      assertThatThrownBy(() -> client.readFrame(T))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("closed by peer");
      assertThat(client.awaitEof(T)).isTrue();
    }
  }
}
