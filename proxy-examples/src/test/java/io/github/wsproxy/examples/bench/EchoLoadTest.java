package io.github.wsproxy.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.wsproxy.WsProxy;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.WireFrame;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The echo loads against real peers on loopback: the NIO client with small and large messages,
 * directly and through a WsProxy, the JDK client, and the failures that must end a run.
 */
@Timeout(60)
class EchoLoadTest {
  private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

  @Test
  void nioClientEchoesSmallAndLargeMessagesOfTheNioUpstream() throws Exception {
    try (NioEchoUpstream upstream = NioEchoUpstream.start(ANY, 1)) {
      URI target = URI.create("ws://127.0.0.1:" + upstream.port() + "/");
      assertEchoes(new EchoLoad(target, 8, 4, 64, EchoLoad.Client.NIO, 2), 64);
      assertEchoes(new EchoLoad(target, 4, 2, 64 * 1024, EchoLoad.Client.NIO, 2), 64 * 1024);
    }
    assertThat(Thread.getAllStackTraces().keySet()).as("selector threads ended")
        .noneMatch(t -> t.getName().startsWith("echo-client-"));
  }

  @Test
  void nioClientEchoesThroughAProxy() throws Exception {
    try (NioEchoUpstream upstream = NioEchoUpstream.start(ANY, 1);
        WsProxy proxy = WsProxy.builder().listen(ANY).upstream(URI.create("ws://127.0.0.1:" + upstream.port())).build()) {
      proxy.start();
      URI target = URI.create("ws://127.0.0.1:" + proxy.port() + "/");
      assertEchoes(new EchoLoad(target, 8, 4, 64, EchoLoad.Client.NIO), 64);
      assertEchoes(new EchoLoad(target, 2, 2, 64 * 1024, EchoLoad.Client.NIO), 64 * 1024);
    }
  }

  @Test
  void jdkClientStillEchoes() throws Exception {
    try (NioEchoUpstream upstream = NioEchoUpstream.start(ANY, 1)) {
      assertEchoes(new EchoLoad(URI.create("ws://127.0.0.1:" + upstream.port() + "/"), 4, 2, 64, EchoLoad.Client.JDK), 64);
    }
  }

  @Test
  void nioClientAnswersPingsAndTakesFragmentedEchoes() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> {
      c.accept(c.readRequest());
      try {
        WireFrame frame;
        while ((frame = c.readFrameOrEof(Duration.ofSeconds(30))) != null) {
          if (frame.opcode() == WireFrame.BINARY) {
            byte[] data = frame.payload();
            int half = data.length / 2;
            c.sendFrame(WireFrame.ping(new byte[] {1, 2, 3}));
            c.sendFrame(WireFrame.binaryFragment(Arrays.copyOfRange(data, 0, half)));
            c.sendFrame(WireFrame.continuation(Arrays.copyOfRange(data, half, data.length), true));
          }
        }
      } catch (SocketException e) {
        // the load closes its sockets at the end of the run, with no close handshake: the script ends
      }
    })) {
      assertEchoes(new EchoLoad(upstream.uri(), 1, 1, 1000, EchoLoad.Client.NIO), 1000);
      assertThat(upstream.receivedFrames()).as("pongs answering the pings")
          .anyMatch(f -> f.opcode() == WireFrame.PONG && Arrays.equals(f.payload(), new byte[] {1, 2, 3}));
      upstream.assertNoFailures();
    }
  }

  @Test
  void aRejectedUpgradeFailsTheRun() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.rejecting(404, "Not Found", Map.of(), "no"))) {
      assertFails(upstream.uri(), "404");
    }
  }

  /** Answers the upgrade with a 101 whose Sec-WebSocket-Accept is wrong, then waits for the client to close. */
  static final RawUpstream.Script WRONG_ACCEPT = c -> {
    c.readRequest();
    c.sendRaw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    c.awaitEof(Duration.ofSeconds(30));
  };

  @Test
  void aWrongAcceptFailsTheRun() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(WRONG_ACCEPT)) {
      assertFails(upstream.uri(), "Sec-WebSocket-Accept");
    }
  }

  @Test
  void aConnectionClosedWithoutAnswerFailsTheRun() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> c.readRequest())) {
      assertFails(upstream.uri(), "closed the connection");
    }
  }

  @Test
  void aCloseDuringTheRunFailsIt() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> {
      c.accept(c.readRequest());
      c.readFrame(Duration.ofSeconds(30));
      c.sendFrame(WireFrame.close(1001, "going away"));
      c.awaitEof(Duration.ofSeconds(30));
    })) {
      assertFails(upstream.uri(), "closed the WebSocket with code 1001");
    }
  }

  private static void assertEchoes(EchoLoad load, int size) throws Exception {
    EchoLoad.Result result = load.run(0.2, 0.5);
    assertThat(result.roundTrips()).as("round trips").isPositive();
    assertThat(result.size()).isEqualTo(size);
    assertThat(result.seconds()).isBetween(0.5, 5.0);
    assertThat(result.p50Micros()).as("p50 latency").isPositive().isLessThan(2e6);
    assertThat(result.p99Micros()).as("p99 latency").isGreaterThanOrEqualTo(result.p50Micros()).isLessThan(5e6);
  }

  private static void assertFails(URI target, String why) {
    assertThatThrownBy(() -> new EchoLoad(target, 2, 2, 64, EchoLoad.Client.NIO).run(0.1, 0.2))
        .hasMessageContaining(target.toString())
        .hasStackTraceContaining(why);
  }
}
