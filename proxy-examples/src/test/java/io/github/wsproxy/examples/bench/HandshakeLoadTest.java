package io.github.wsproxy.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.wsproxy.WsProxy;
import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.WireFrame;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The handshake loads against real peers on loopback: the NIO client directly and through a
 * WsProxy, the JDK client, and the failures that must end a run, a peer that never answers the close
 * among them.
 */
@Timeout(60)
class HandshakeLoadTest {
  private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
  /** The NIO client's deadline per handshake in these tests. */
  private static final Duration TIMEOUT = Duration.ofSeconds(1);

  @Test
  void nioClientOpensAndClosesWithTheNioUpstream() throws Exception {
    try (NioEchoUpstream upstream = NioEchoUpstream.start(ANY, 1)) {
      assertHandshakes(new HandshakeLoad(URI.create("ws://127.0.0.1:" + upstream.port() + "/"), 8, false, EchoLoad.Client.NIO, 2, TIMEOUT));
    }
    Await.until(() -> Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("handshake-client-")),
        "the selector threads ended");
  }

  @Test
  void nioClientOpensAndClosesThroughAProxy() throws Exception {
    try (NioEchoUpstream upstream = NioEchoUpstream.start(ANY, 1);
        WsProxy proxy = WsProxy.builder().listen(ANY).upstream(URI.create("ws://127.0.0.1:" + upstream.port())).build()) {
      proxy.start();
      assertHandshakes(new HandshakeLoad(URI.create("ws://127.0.0.1:" + proxy.port() + "/"), 8, false, EchoLoad.Client.NIO));
    }
  }

  @Test
  void jdkClientStillOpensAndCloses() throws Exception {
    try (NioEchoUpstream upstream = NioEchoUpstream.start(ANY, 1)) {
      assertHandshakes(new HandshakeLoad(URI.create("ws://127.0.0.1:" + upstream.port() + "/"), 4, false, EchoLoad.Client.JDK));
    }
  }

  @Test
  void theNioClientRefusesWss() {
    assertThatThrownBy(() -> new HandshakeLoad(URI.create("wss://127.0.0.1:1/"), 1, false, EchoLoad.Client.NIO))
        .hasMessageContaining("wss://127.0.0.1:1/");
  }

  @Test
  void aRejectedUpgradeFailsTheRun() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.rejecting(404, "Not Found", Map.of(), "no"))) {
      assertFails(upstream.uri(), "404");
    }
  }

  @Test
  void aWrongAcceptFailsTheRun() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(EchoLoadTest.WRONG_ACCEPT)) {
      assertFails(upstream.uri(), "Sec-WebSocket-Accept");
    }
  }

  @Test
  void aPeerThatNeverAnswersTheCloseFailsTheRunAfterTheDeadline() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> {
      c.accept(c.readRequest());
      assertThat(c.readFrame(Duration.ofSeconds(30)).opcode()).isEqualTo(WireFrame.CLOSE);
      c.awaitEof(Duration.ofSeconds(30));
    })) {
      assertFails(upstream.uri(), "did not answer the close within 1000 ms");
      upstream.assertNoFailures();
    }
  }

  @Test
  void aPeerThatAnswersTheCloseButKeepsTheConnectionFailsTheRunAfterTheDeadline() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> {
      c.accept(c.readRequest());
      c.readFrame(Duration.ofSeconds(30));
      c.sendFrame(WireFrame.close(1000, ""));
      c.awaitEof(Duration.ofSeconds(30));
    })) {
      assertFails(upstream.uri(), "did not close the connection after its close frame within 1000 ms");
    }
  }

  private static void assertHandshakes(HandshakeLoad load) throws Exception {
    HandshakeLoad.Result result = load.run(0.2, 0.5, () -> 0, () -> 0);
    assertThat(result.handshakes()).as("handshakes").isPositive();
    assertThat(result.seconds()).isBetween(0.5, 5.0);
  }

  private static void assertFails(URI target, String why) {
    long start = System.nanoTime();
    assertThatThrownBy(() -> new HandshakeLoad(target, 2, false, EchoLoad.Client.NIO, 1, TIMEOUT).run(0.1, 0.2, () -> 0, () -> 0))
        .hasMessageContaining(target.toString())
        .hasStackTraceContaining(why);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time to fail").isLessThan(Duration.ofSeconds(10));
  }
}
