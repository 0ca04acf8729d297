package io.github.wsproxy.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class TestUpstreamTest {
  private static final Duration T = Duration.ofSeconds(5);

  private static RawClient open(TestUpstream upstream, String path) throws Exception {
    RawClient client = RawClient.connect(upstream.port());
    HttpHead response = client.handshake(path);
    assertThat(response.statusCode()).isEqualTo(101);
    assertThat(response.header("Sec-WebSocket-Accept")).isEqualTo(client.expectedAccept());
    upstream.awaitOpenConnections(1, T);
    return client;
  }

  @Test
  void recordsHandshakeFramesAndMessagesAndEchoes() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho();
        RawClient client = RawClient.connect(upstream.port())) {
      Map<String, String> extra = new LinkedHashMap<>();
      extra.put("X-Dup", "1");
      extra.put("Cookie", "a=b");
      client.sendHandshakeRequest("/room?id=7", extra);
      client.sendRaw("X-Late: no\r\n".getBytes(StandardCharsets.US_ASCII)); // not part of the head
      HttpHead response = client.readResponse(T);
      assertThat(response.statusCode()).isEqualTo(101);

      RecordedHandshake handshake = upstream.awaitHandshakes(1, T).get(0);
      assertThat(handshake.resource()).isEqualTo("/room?id=7");
      assertThat(handshake.headers()).containsEntry("cookie", "a=b").containsKey("sec-websocket-key");
      assertThat(handshake.header("X-DUP")).isEqualTo("1");
      assertThat(handshake.request().headers("x-dup")).containsExactly("1");
      assertThat(handshake.remote().getPort()).isEqualTo(client.localPort());
      assertThat(upstream.uri().toString()).isEqualTo("ws://127.0.0.1:" + upstream.port());
    }
  }

  @Test
  void echoesAndRecordsExactFrames() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho();
        RawClient client = open(upstream, "/")) {
      client.sendFrames(
          WireFrame.textFragment("he"),
          WireFrame.ping(new byte[] {1}),
          WireFrame.continuation("llo", true),
          WireFrame.binary(new byte[] {9, 8}));
      assertThat(client.readFrame(T)).isEqualTo(WireFrame.pong(new byte[] {1}));
      assertThat(client.readFrame(T)).isEqualTo(WireFrame.text("hello"));
      assertThat(client.readFrame(T)).isEqualTo(WireFrame.binary(new byte[] {9, 8}));
      assertThat(upstream.receivedTexts()).containsExactly("hello");
      assertThat(upstream.receivedBinaries()).singleElement().isEqualTo(new byte[] {9, 8});
      List<WireFrame> frames = upstream.awaitFrames(4, T);
      assertThat(frames).containsExactly(
          WireFrame.textFragment("he"),
          WireFrame.ping(new byte[] {1}),
          WireFrame.continuation("llo", true),
          WireFrame.binary(new byte[] {9, 8}));
      assertThat(frames).allMatch(WireFrame::masked);
      assertThat(upstream.connections().get(0).receivedFrames()).isEqualTo(frames);
    }
  }

  @Test
  void onCloseHearsEachConnectionsEndAndOutputIsWrittenAfterAnEcho() throws Exception {
    List<String> ended = new CopyOnWriteArrayList<>();
    try (TestUpstream upstream = TestUpstream.builder()
            .onClose((conn, close) -> ended.add(conn.resource() + " " + close.code() + " " + close.remote()))
            .start();
        RawClient client = open(upstream, "/bye")) {
      client.sendFrame(WireFrame.text("echo me"));
      assertThat(client.readFrame(T)).isEqualTo(WireFrame.text("echo me"));
      assertThat(upstream.connections().get(0).hasUnsentOutput()).isFalse();
      assertThat(ended).isEmpty();
      client.sendFrame(WireFrame.close(4001, "done"));
      assertThat(client.readFrame(T).closeCode()).isEqualTo(4001);
      Await.until(() -> !ended.isEmpty(), T, "onClose called");
      assertThat(ended).containsExactly("/bye 4001 true");
      assertThat(upstream.closes()).containsExactly(new RecordedClose(4001, "done", true));
    }
  }

  @Test
  void negotiatesSubprotocolInClientOrder() throws Exception {
    try (TestUpstream upstream = TestUpstream.builder().subprotocols("a", "b").start()) {
      try (RawClient client = RawClient.connect(upstream.port())) {
        HttpHead r = client.handshake("/", "Sec-WebSocket-Protocol", "x, b, a");
        assertThat(r.headers("Sec-WebSocket-Protocol")).containsExactly("b");
      }
      try (RawClient client = RawClient.connect(upstream.port())) {
        HttpHead r = client.handshake("/", "Sec-WebSocket-Protocol", "x");
        assertThat(r.statusCode()).isEqualTo(101);
        assertThat(r.header("Sec-WebSocket-Protocol")).isNull();
      }
      try (RawClient client = RawClient.connect(upstream.port())) {
        client.sendRaw("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: y\r\nSec-WebSocket-Protocol: a\r\n\r\n");
        HttpHead r = client.readResponse(T);
        assertThat(r.header("Sec-WebSocket-Accept")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assertThat(r.header("Sec-WebSocket-Protocol")).isEqualTo("a");
      }
    }
  }

  @Test
  void sendFramesToAllSendsExactFrames() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho(); RawClient client = open(upstream, "/")) {
      upstream.sendFramesToAll(List.of(
          WireFrame.textFragment("a").withRsv(WireFrame.RSV2),
          WireFrame.ping("p".getBytes(StandardCharsets.UTF_8)),
          WireFrame.continuation("b", true)));
      assertThat(client.readFrame(T)).isEqualTo(WireFrame.textFragment("a").withRsv(2));
      assertThat(client.readFrame(T).opcode()).isEqualTo(WireFrame.PING);
      WireFrame last = client.readFrame(T);
      assertThat(last).isEqualTo(WireFrame.continuation("b", true));
      assertThat(last.masked()).isFalse();
      upstream.sendTextToAll("t");
      assertThat(client.readFrame(T)).isEqualTo(WireFrame.text("t"));
    }
  }

  @Test
  void closeAllSendsCodeAndEndsTcp() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho(); RawClient client = open(upstream, "/")) {
      upstream.closeAll(4000, "bye");
      WireFrame close = client.readFrame(T);
      assertThat(close.closeCode()).isEqualTo(4000);
      assertThat(close.closeReason()).isEqualTo("bye");
      assertThat(client.awaitEof(T)).isTrue();
      assertThat(upstream.awaitCloses(1, T)).containsExactly(new RecordedClose(4000, "bye", false));
      assertThat(upstream.openConnections()).isZero();
    }
  }

  @Test
  void closeAllWithoutCodeSendsEmptyClose() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho(); RawClient client = open(upstream, "/")) {
      upstream.closeAllWithoutCode();
      WireFrame close = client.readFrame(T);
      assertThat(close).isEqualTo(WireFrame.closeEmpty());
      assertThat(client.awaitEof(T)).isTrue();
      assertThat(upstream.awaitCloses(1, T)).containsExactly(new RecordedClose(1005, "", false));
    }
  }

  @Test
  void clientCloseIsEchoedAndRecorded() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho(); RawClient client = open(upstream, "/")) {
      client.sendFrame(WireFrame.close(4001, "done"));
      assertThat(client.readFrame(T)).isEqualTo(WireFrame.close(4001, "done"));
      assertThat(client.awaitEof(T)).isTrue();
      assertThat(upstream.awaitCloses(1, T)).containsExactly(new RecordedClose(4001, "done", true));
    }
  }

  @Test
  void emptyClientCloseIsRecordedAs1005() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho(); RawClient client = open(upstream, "/")) {
      client.sendFrame(WireFrame.closeEmpty());
      WireFrame echo = client.readFrame(T);
      // Java-WebSocket answers an empty close with 1000.
      assertThat(echo.closeCode()).isEqualTo(1000);
      assertThat(upstream.awaitCloses(1, T)).containsExactly(new RecordedClose(1005, "", true));
      assertThat(upstream.receivedFrames()).containsExactly(WireFrame.closeEmpty());
    }
  }

  @Test
  void dropAllSendsNoCloseFrame() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho(); RawClient client = open(upstream, "/")) {
      upstream.sendTextToAll("last");
      upstream.dropAll();
      assertThat(client.readFrame(T)).isEqualTo(WireFrame.text("last"));
      assertThat(client.readFrameOrEof(T)).isNull();
      assertThat(client.awaitEof(T)).isTrue();
      assertThat(client.wasReset()).isFalse();
      assertThat(client.buffered()).isZero();
      assertThat(upstream.awaitCloses(1, T).get(0).code()).isEqualTo(1006);
    }
  }

  @Test
  void resetAllResets() throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho(); RawClient client = open(upstream, "/")) {
      upstream.resetAll();
      assertThat(client.awaitEof(T)).isTrue();
      assertThat(client.wasReset()).isTrue();
      assertThat(client.buffered()).isZero();
    }
  }

  @Test
  void lastMessagesBeforeFinAreNotLost() throws Exception {
    lastMessagesBeforeFin(false);
  }

  @Test
  void lastMessagesBeforeAbruptCloseAreNotLost() throws Exception {
    lastMessagesBeforeFin(true);
  }

  private void lastMessagesBeforeFin(boolean closeAtOnce) throws Exception {
    try (TestUpstream upstream = TestUpstream.startEcho()) {
      int n = 100;
      for (int i = 0; i < n; i++) {
        try (RawClient client = RawClient.connect(upstream.port())) {
          client.handshake("/");
          client.sendFrames(WireFrame.text("m" + i), WireFrame.close(4000 + i % 10, "r"));
          client.shutdownOutput();
          if (!closeAtOnce) {
            assertThat(client.awaitEof(T)).isTrue();
          }
        }
      }
      List<RecordedClose> closes = upstream.awaitCloses(n, Duration.ofSeconds(20));
      assertThat(upstream.receivedTexts()).hasSize(n);
      assertThat(closes).allSatisfy(c -> {
        assertThat(c.code()).isBetween(4000, 4009);
        assertThat(c.remote()).isTrue();
      });
    }
  }

  @Test
  void maxFrameSizeCloses1009() throws Exception {
    try (TestUpstream upstream = TestUpstream.builder().maxFrameSize(100).start();
        RawClient client = open(upstream, "/")) {
      client.sendFrame(WireFrame.binary(new byte[101]));
      assertThat(client.readFrameSkippingPingPong(T).closeCode()).isEqualTo(1009);
    }
  }

  @Test
  void permessageDeflateIsNegotiatedAndFramesStayCompressedOnTheWire() throws Exception {
    try (TestUpstream upstream = TestUpstream.builder().permessageDeflate(true).start();
        RawClient client = RawClient.connect(upstream.port())) {
      HttpHead r = client.handshake("/", "Sec-WebSocket-Extensions", "permessage-deflate");
      assertThat(r.header("Sec-WebSocket-Extensions")).startsWith("permessage-deflate");
      upstream.awaitOpenConnections(1, T);
      upstream.sendTextToAll("x".repeat(5000));
      WireFrame frame = client.readFrame(T);
      assertThat(frame.rsv1()).isTrue();
      assertThat(frame.length()).isLessThan(5000);
    }
  }

  @Test
  void handlersAndOnOpen() throws Exception {
    try (TestUpstream upstream = TestUpstream.builder()
            .onOpen(c -> c.send("hello " + c.resource()))
            .onText((c, text) -> c.send(text.toUpperCase()))
            .responseHeader("X-Upstream", "yes")
            .start();
        RawClient client = RawClient.connect(upstream.port())) {
      assertThat(client.handshake("/p").header("X-Upstream")).isEqualTo("yes");
      assertThat(client.readFrame(T).payloadText()).isEqualTo("hello /p");
      client.sendFrame(WireFrame.text("abc"));
      assertThat(client.readFrame(T).payloadText()).isEqualTo("ABC");
    }
  }

  @Test
  void startFailsCleanlyWhenThePortIsTaken() throws Exception {
    try (RawUpstream taken = RawUpstream.start(RawUpstream.silent())) {
      TestUpstream upstream = TestUpstream.builder()
          .bind(new InetSocketAddress("127.0.0.1", taken.port()))
          .build();
      assertThatThrownBy(upstream::start).isInstanceOf(IOException.class);
      upstream.close();
      Await.until(() -> Thread.getAllStackTraces().keySet().stream()
              .noneMatch(t -> t.getName().startsWith("WebSocketSelector")
                  || t.getName().startsWith("WebSocketWorker")),
          T, "server threads to end");
    }
  }

  @Test
  void closeSends1001AndStopsThreads() throws Exception {
    TestUpstream upstream = TestUpstream.startEcho();
    RawClient silent = RawClient.connect(upstream.port()); // never completes a handshake
    try (RawClient client = open(upstream, "/")) {
      upstream.close();
      assertThat(client.readFrame(T).closeCode()).isEqualTo(1001);
      assertThat(client.awaitEof(T)).isTrue();
      assertThat(silent.awaitEof(T)).isTrue();
    } finally {
      silent.close();
    }
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().startsWith("WebSocketSelector")
            || t.getName().startsWith("WebSocketWorker"));
  }
}
