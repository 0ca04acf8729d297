package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.JwsTestClient;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RecordedClose;
import io.github.wsproxy.testing.TestUpstream;
import io.github.wsproxy.testing.WireFrame;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Interceptors on messages, frames and the lifecycle, through a real proxy to a real upstream. */
class InterceptorMessageTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private final List<AutoCloseable> resources = new ArrayList<>();
  private TestUpstream upstream;
  private WsProxy proxy;

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private URI start(Consumer<TestUpstream.Builder> upstreamSetup, Interceptor... interceptors) throws Exception {
    TestUpstream.Builder upstreamBuilder = TestUpstream.builder();
    upstreamSetup.accept(upstreamBuilder);
    upstream = track(upstreamBuilder.start());
    WsProxy.Builder builder = WsProxy.builder()
        .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .upstream(upstream.uri())
        .interceptorTimeout(Duration.ofMillis(500));
    for (Interceptor interceptor : interceptors) {
      builder.interceptor(interceptor);
    }
    proxy = track(builder.build());
    proxy.start();
    return URI.create("ws://127.0.0.1:" + proxy.port() + "/");
  }

  private URI start(Interceptor... interceptors) throws Exception {
    return start(b -> { }, interceptors);
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  /** Replaces, drops, answers locally or closes, depending on the client's text. */
  static final class Commands extends Interceptor {
    @Override
    public Message onClientMessage(ProxyConnection connection, Message message) {
      String text = message.isText() ? message.text() : "";
      switch (text) {
        case "drop":
          return null;
        case "local":
          connection.sendToClient(Message.text("answered by the proxy"));
          return null;
        case "close":
          connection.close(4000, "asked to close");
          return null;
        case "boom":
          throw new IllegalStateException("interceptor bug");
        default:
          return text.startsWith("up:") ? Message.text(text.toUpperCase()) : message;
      }
    }

    @Override
    public Message onUpstreamMessage(ProxyConnection connection, Message message) {
      return message.isText() ? Message.text(message.text() + " (checked)") : message;
    }
  }

  @Test
  void replacesDropsAndAnswersMessagesInEachDirection() throws Exception {
    URI uri = start(new Commands());
    try (JdkTestClient client = track(JdkTestClient.connect(uri))) {
      client.sendText("up:hello");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("UP:HELLO (checked)");
      client.sendText("drop");
      client.sendText("local");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("answered by the proxy");
      client.sendBinary(new byte[] {1, 2, 3});
      assertThat(client.awaitBinary(DEADLINE)).containsExactly(1, 2, 3);
      client.sendText("plain");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("plain (checked)");
    }
    assertThat(upstream.receivedTexts()).containsExactly("UP:HELLO", "plain");
  }

  @Test
  void anInterceptorClosesBothSidesWithItsCode() throws Exception {
    URI uri = start(new Commands());
    try (JdkTestClient client = track(JdkTestClient.connect(uri))) {
      client.sendText("close");
      RecordedClose close = client.awaitClose(DEADLINE);
      assertThat(close.code()).isEqualTo(4000);
      assertThat(close.reason()).isEqualTo("asked to close");
    }
    assertThat(upstream.awaitCloses(1, DEADLINE).get(0).code()).isEqualTo(4000);
  }

  @Test
  void aThrowingInterceptorClosesOnlyItsConnectionWith1011() throws Exception {
    URI uri = start(new Commands());
    try (JdkTestClient broken = track(JdkTestClient.connect(uri));
        JdkTestClient other = track(JdkTestClient.connect(uri))) {
      broken.sendText("boom");
      assertThat(broken.awaitClose(DEADLINE).code()).isEqualTo(1011);
      other.sendText("fine");
      assertThat(other.awaitText(DEADLINE)).isEqualTo("fine (checked)");
    }
    assertThat(upstream.awaitCloses(2, DEADLINE)).extracting(RecordedClose::code).containsExactlyInAnyOrder(1011, 1000);
  }

  /** Answers each client message after a random delay, on another thread. */
  static final class RandomDelay extends Interceptor {
    @Override
    public CompletionStage<Message> onClientMessageAsync(ProxyConnection connection, Message message) {
      if (message.text().equals("never")) {
        return new CompletableFuture<>();
      }
      return CompletableFuture.supplyAsync(() -> message,
          CompletableFuture.delayedExecutor(ThreadLocalRandom.current().nextInt(20), TimeUnit.MILLISECONDS));
    }
  }

  @Test
  void asynchronousAnswersKeepTheOrderOfMessages() throws Exception {
    URI uri = start(new RandomDelay());
    List<String> sent = new ArrayList<>();
    try (JdkTestClient client = track(JdkTestClient.connect(uri))) {
      for (int i = 0; i < 30; i++) {
        sent.add("m" + i);
        client.sendText("m" + i);
      }
      client.sendPing(new byte[] {9});
      assertThat(upstream.awaitTexts(30, DEADLINE)).containsExactlyElementsOf(sent);
      for (int i = 0; i < 30; i++) {
        assertThat(client.awaitText(DEADLINE)).isEqualTo("m" + i);
      }
      assertThat(client.awaitPong(DEADLINE)).containsExactly(9);
    }
  }

  @Test
  void anAnswerThatNeverComesClosesWith1011AfterTheTimeoutAndStallsNoOtherConnection() throws Exception {
    URI uri = start(new RandomDelay());
    try (JdkTestClient client = track(JdkTestClient.connect(uri));
        JdkTestClient other = track(JdkTestClient.connect(uri))) {
      client.sendText("never");
      client.sendText("after");
      for (int i = 0; i < 5; i++) {
        other.sendText("other" + i);
        assertThat(other.awaitText(DEADLINE)).isEqualTo("other" + i);
      }
      assertThat(client.pollText(Duration.ofMillis(50))).isNull();
      assertThat(client.awaitClose(DEADLINE).code()).isEqualTo(1011);
    }
    assertThat(upstream.awaitCloses(2, DEADLINE)).extracting(RecordedClose::code).contains(1011);
    assertThat(upstream.receivedTexts()).containsExactly("other0", "other1", "other2", "other3", "other4");
  }

  /** Pushes a message to both sides from another thread once the connection is open. */
  static final class Pusher extends Interceptor {
    final List<CloseInfo> closes = new CopyOnWriteArrayList<>();

    @Override
    public void onOpen(ProxyConnection connection) {
      CompletableFuture.runAsync(() -> {
        connection.sendToClient(Message.text("welcome"));
        connection.sendToUpstream(Message.binary(new byte[] {7, 7}));
      });
    }

    @Override
    public void onClose(ProxyConnection connection, CloseInfo info) {
      closes.add(info);
    }
  }

  @Test
  void injectsMessagesFromAnyThreadOnARawRelay() throws Exception {
    Pusher pusher = new Pusher();
    URI uri = start(b -> b.onBinary((conn, data) -> { }), pusher);
    try (JdkTestClient client = track(JdkTestClient.connect(uri))) {
      assertThat(client.awaitText(DEADLINE)).isEqualTo("welcome");
      assertThat(upstream.awaitBinaries(1, DEADLINE).get(0)).containsExactly(7, 7);
      client.sendText("echo me");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("echo me");
      client.sendClose(1000, "bye");
      assertThat(client.awaitClose(DEADLINE).code()).isEqualTo(1000);
    }
    Await.until(() -> !pusher.closes.isEmpty(), DEADLINE, "onClose called");
    CloseInfo info = pusher.closes.get(0);
    assertThat(info.closedBy()).isEqualTo(CloseInfo.Initiator.CLIENT);
    assertThat(info.clientCode()).isEqualTo(1000);
    assertThat(info.upstreamCode()).isEqualTo(1000);
    assertThat(info.messagesFromClient()).isEqualTo(1);
    assertThat(info.messagesFromUpstream()).isEqualTo(1);
    assertThat(info.bytesFromClient()).isPositive();
  }

  /** Watches the frames from the client as they stream. */
  static final class FrameWatcher extends Interceptor {
    final List<String> frames = new CopyOnWriteArrayList<>();

    @Override
    public void onClientFrame(ProxyConnection connection, Frame frame) {
      byte[] payload = new byte[frame.payload().remaining()];
      frame.payload().get(payload);
      frames.add((frame.isFirst() ? "first " : "") + (frame.isLast() ? "last " : "") + new String(payload));
    }
  }

  @Test
  void frameWatchersSeeFragmentsAsTheyStreamAndFragmentationIsKept() throws Exception {
    FrameWatcher watcher = new FrameWatcher();
    URI uri = start(watcher);
    try (JwsTestClient client = track(JwsTestClient.connect(uri))) {
      client.sendFrames(List.of(WireFrame.textFragment("one "), WireFrame.continuation("two ", false),
          WireFrame.continuation("three", true)));
      assertThat(client.awaitText(DEADLINE)).isEqualTo("one two three");
    }
    assertThat(watcher.frames).containsExactly("first one ", "two ", "last three");
    List<WireFrame> atUpstream = upstream.awaitFrames(3, DEADLINE);
    assertThat(atUpstream).extracting(WireFrame::opcode)
        .startsWith(WireFrame.TEXT, WireFrame.CONTINUATION, WireFrame.CONTINUATION);
  }

  /** Only looks at handshakes. */
  static final class HandshakeOnly extends Interceptor {
    @Override
    public CompletionStage<Void> onHandshake(Handshake handshake) {
      handshake.setHeader("X-Seen", "yes");
      return PROCEED;
    }
  }

  @Test
  void permessageDeflateIsNegotiatedUnlessAnInterceptorReadsMessages() throws Exception {
    Map<String, String> offer = Map.of("Sec-WebSocket-Extensions", "permessage-deflate");
    URI raw = start(b -> b.permessageDeflate(true), new HandshakeOnly());
    assertThat(deflateAnswer(raw, offer)).contains("permessage-deflate");
    closeAll();
    resources.clear();
    URI decoded = start(b -> b.permessageDeflate(true), new HandshakeOnly(), new Commands());
    assertThat(deflateAnswer(decoded, offer)).isNull();
  }

  private String deflateAnswer(URI uri, Map<String, String> offer) throws Exception {
    try (RawClient client = RawClient.connect(new InetSocketAddress("127.0.0.1", uri.getPort()))) {
      return client.handshake("/", offer).header("Sec-WebSocket-Extensions");
    }
  }
}
