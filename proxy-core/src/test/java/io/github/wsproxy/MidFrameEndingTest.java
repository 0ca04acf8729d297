package io.github.wsproxy;

import static io.github.wsproxy.HandshakeTest.startProxy;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.WireFrame;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A side that ends, or is ended, while one of its frames is only partly relayed (issue 13, part 1):
 * the other side must get only the bytes that were really sent and then an abnormal end (TCP closed
 * without a close frame), never a frame of the proxy's own spliced into the unfinished payload.
 * When the proxy itself ends the connection, a frame in flight may finish first (within the close
 * timeout) and the close frame follows at the boundary.
 */
class MidFrameEndingTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  /** Well under the close timeout of the proxies here (30 s): the end must not wait for it. */
  private static final Duration PROMPTLY = Duration.ofSeconds(3);
  private static final int DECLARED = 310;
  private static final int SENT = 300;

  private final byte[] payload = payload(DECLARED);

  @Test
  void clientGetsOnlyTheRealBytesThenAnAbnormalEndWhenTheUpstreamEndsMidFrameWithFin() throws Exception {
    clientGetsOnlyTheRealBytesWhenTheUpstreamEndsMidFrame(false);
  }

  @Test
  void clientGetsOnlyTheRealBytesThenAnAbnormalEndWhenTheUpstreamEndsMidFrameWithRst() throws Exception {
    clientGetsOnlyTheRealBytesWhenTheUpstreamEndsMidFrame(true);
  }

  private void clientGetsOnlyTheRealBytesWhenTheUpstreamEndsMidFrame(boolean reset) throws Exception {
    clientGetsOnlyTheRealBytesAfter(WsProxy.builder().closeTimeout(Duration.ofSeconds(30)), c -> {
      if (reset) {
        c.abort();
      }
    }, proxy -> { }, PROMPTLY);
  }

  @Test
  void upstreamGetsOnlyTheRealBytesThenAnAbnormalEndWhenTheClientEndsMidFrameWithFin() throws Exception {
    upstreamGetsOnlyTheRealBytesAfter(WsProxy.builder().closeTimeout(Duration.ofSeconds(30)), client -> client.shutdownOutput(), PROMPTLY);
  }

  @Test
  void upstreamGetsOnlyTheRealBytesThenAnAbnormalEndWhenTheClientEndsMidFrameWithRst() throws Exception {
    upstreamGetsOnlyTheRealBytesAfter(WsProxy.builder().closeTimeout(Duration.ofSeconds(30)), RawClient::abort, PROMPTLY);
  }

  @Test
  void upstreamGetsOnlyTheRealBytesWhenTheClientStallsMidFrameUntilTheReadTimeout() throws Exception {
    // the read timeout fires; the frame cannot finish within the close timeout: TCP ends, no close frame
    upstreamGetsOnlyTheRealBytesAfter(
        WsProxy.builder().readTimeout(Duration.ofMillis(500)).closeTimeout(Duration.ofSeconds(1)),
        client -> { }, DEADLINE);
  }

  @Test
  void clientGetsOnlyTheRealBytesWhenTheUpstreamStallsMidFrameUntilTheReadTimeout() throws Exception {
    clientGetsOnlyTheRealBytesAfter(WsProxy.builder().readTimeout(Duration.ofMillis(500)).closeTimeout(Duration.ofSeconds(1)),
        c -> c.awaitEof(DEADLINE), proxy -> { }, DEADLINE);
  }

  @Test
  void upstreamGetsOnlyTheRealBytesWhenTheApplicationClosesTheConnectionWhileAClientFrameIsHalfRelayed() throws Exception {
    CompletableFuture<WsProxy> proxyOf = new CompletableFuture<>();
    upstreamGetsOnlyTheRealBytesAfter(
        WsProxy.builder().closeTimeout(Duration.ofSeconds(1)),
        client -> {
          WsProxy proxy = proxyOf.join();
          assertThat(proxy.closeConnection(proxy.connections().get(0).id(), 4000, "admin")).isTrue();
        }, DEADLINE, proxyOf);
  }

  @Test
  void upstreamGetsOnlyTheRealBytesWhenTheProxyStopsWhileAClientFrameIsHalfRelayedAndNeverFinishes() throws Exception {
    CompletableFuture<WsProxy> proxyOf = new CompletableFuture<>();
    upstreamGetsOnlyTheRealBytesAfter(
        WsProxy.builder().closeTimeout(Duration.ofSeconds(1)),
        client -> closeInBackground(proxyOf.join()), DEADLINE, proxyOf);
  }

  @Test
  void letsTheHalfRelayedClientFrameFinishBeforeTheShutdownsCloseFrame() throws Exception {
    CompletableFuture<byte[]> relayed = new CompletableFuture<>();
    CompletableFuture<WireFrame> closeFrame = new CompletableFuture<>();
    CountDownLatch partRelayed = new CountDownLatch(1);
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          Prefix head = readPrefix(c::readBytes);
          partRelayed.countDown();
          byte[] rest = head.unmaskTail(c.readBytes(DECLARED - SENT, DEADLINE));
          byte[] whole = Arrays.copyOf(head.payload(), DECLARED);
          System.arraycopy(rest, 0, whole, SENT, rest.length);
          relayed.complete(whole);
          WireFrame close = c.readFrame(DEADLINE);
          closeFrame.complete(close);
          c.sendFrame(WireFrame.close(close.closeCode(), ""));
        });
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()).closeTimeout(Duration.ofSeconds(30)));
        RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);
      byte[] frame = WireFrame.encode(WireFrame.binary(payload), MASK);
      client.sendRaw(Arrays.copyOf(frame, frame.length - (DECLARED - SENT)));
      assertThat(partRelayed.await(10, TimeUnit.SECONDS)).isTrue();

      Thread closing = closeInBackground(proxy);
      awaitListenerClosed(proxy.port());
      client.sendRaw(Arrays.copyOfRange(frame, frame.length - (DECLARED - SENT), frame.length));
      // the client's leg was at a boundary: its 1001 came at once; answered, the close does not wait for the timeout
      client.sendFrame(WireFrame.close(client.readFrameSkippingPingPong(DEADLINE).closeCode(), ""));

      assertThat(relayed.get(10, TimeUnit.SECONDS)).isEqualTo(payload);
      assertThat(closeFrame.get(10, TimeUnit.SECONDS).closeCode()).isEqualTo(1001);
      closing.join(TimeUnit.SECONDS.toMillis(40));
      upstream.assertNoFailures();
    }
  }

  @Test
  void clientGetsOnlyTheRealBytesWhenTheProxyStopsWhileAnUpstreamFrameIsHalfRelayedAndNeverFinishes() throws Exception {
    clientGetsOnlyTheRealBytesAfter(WsProxy.builder().closeTimeout(Duration.ofSeconds(1)),
        c -> c.awaitEof(DEADLINE), MidFrameEndingTest::closeInBackground, DEADLINE);
  }

  /**
   * The upstream sends 300 bytes of a 310-byte frame and then does {@code upstreamAction}; once the
   * client has them, {@code proxyAction} runs. The client must get nothing more, and then the end.
   */
  private void clientGetsOnlyTheRealBytesAfter(WsProxy.Builder builder, RawUpstream.Script upstreamAction,
      Consumer<WsProxy> proxyAction, Duration ending) throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          c.sendRaw(partialFrame(null));
          upstreamAction.run(c);
        });
        WsProxy proxy = startProxy(builder.upstream(upstream.uri()));
        RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);
      assertThat(readPayloadPrefix(client::readBytes)).isEqualTo(Arrays.copyOf(payload, SENT));

      proxyAction.accept(proxy);

      assertThat(client.awaitEof(ending)).as("the connection ended in time").isTrue();
      assertThat(client.buffered()).as("bytes after the real ones").isZero();
    }
  }

  @Test
  void whenAnInterceptorClosesTheConnectionTheUpstreamsFrameInFlightFinishesBeforeTheClientsClose() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          c.sendRaw(partialFrame(null));
          WireFrame close = c.readFrame(DEADLINE); // its leg was at a boundary: the close came at once
          assertThat(close.closeCode()).isEqualTo(4000);
          byte[] frame = WireFrame.encode(WireFrame.binary(payload), null);
          c.sendRaw(Arrays.copyOfRange(frame, frame.length - (DECLARED - SENT), frame.length));
          c.sendFrame(WireFrame.close(4000, ""));
        });
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()).closeTimeout(Duration.ofSeconds(30))
            .interceptor(new ClosesWhenAsked()));
        RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);
      assertThat(readPayloadPrefix(client::readBytes)).isEqualTo(Arrays.copyOf(payload, SENT));

      client.sendFrame(WireFrame.text("close"));

      assertThat(client.readBytes(DECLARED - SENT, DEADLINE)).as("the rest of the upstream's frame")
          .isEqualTo(Arrays.copyOfRange(payload, SENT, DECLARED));
      assertThat(client.readFrameSkippingPingPong(DEADLINE).closeCode()).isEqualTo(4000);
      upstream.awaitScriptsFinished(1, DEADLINE);
      upstream.assertNoFailures();
    }
  }

  @Test
  void clientGetsOnlyTheRealBytesWhenTheUpstreamStopsAnsweringPingsMidFrame() throws Exception {
    clientGetsOnlyTheRealBytesAfter(WsProxy.builder().closeTimeout(Duration.ofSeconds(30))
        .upstreamPingInterval(Duration.ofMillis(200)).pongTimeout(Duration.ofMillis(300)), c -> {
          while (c.readFrameOrEof(DEADLINE) != null) {
            // reads the proxy's pings and never answers them
          }
        }, proxy -> { }, PROMPTLY);
  }

  @Test
  void clientGetsTheRealBytesThenTheEndOfTcpWhenTheUpstreamViolatesTheProtocolMidFrame() throws Exception {
    byte[] text = "a".repeat(DECLARED).getBytes(StandardCharsets.US_ASCII);
    text[DECLARED - 1] = (byte) 0xff; // never valid in UTF-8: the violation comes in the frame's last part
    byte[] frame = WireFrame.encode(new WireFrame(true, 0, WireFrame.TEXT, text, false), null);
    CountDownLatch partRelayed = new CountDownLatch(1);
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          c.sendRaw(Arrays.copyOf(frame, frame.length - (DECLARED - SENT)));
          assertThat(partRelayed.await(10, TimeUnit.SECONDS)).isTrue();
          c.sendRaw(Arrays.copyOfRange(frame, frame.length - (DECLARED - SENT), frame.length));
          assertThat(c.readFrame(DEADLINE).closeCode()).as("the violating side's close").isEqualTo(1007);
        });
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()).closeTimeout(Duration.ofSeconds(30)));
        RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);
      assertThat(client.readBytes(frame.length - (DECLARED - SENT), DEADLINE))
          .isEqualTo(Arrays.copyOf(frame, frame.length - (DECLARED - SENT)));
      partRelayed.countDown();

      assertThat(client.awaitEof(PROMPTLY)).as("the connection ended promptly").isTrue();
      assertThat(client.buffered()).as("bytes after the real ones").isZero();
      assertThat(client.wasReset()).as("reset, which may lose what was relayed").isFalse();
      upstream.awaitScriptsFinished(1, DEADLINE);
      upstream.assertNoFailures();
    }
  }

  @Test
  void theAccessLogSaysWhichLegEndedMidFrame() throws Exception {
    ILoggingEvent line = ObservabilityTest.firstAccessLine(
        () -> upstreamGetsOnlyTheRealBytesAfter(WsProxy.builder(), RawClient::shutdownOutput, PROMPTLY));

    assertThat(line.getFormattedMessage()).contains("note=\"client vanished without a close frame; "
        + "upstream leg ended mid-frame, without a close frame\"");
  }

  @Test
  void theAccessLogSaysWhichLegsFrameDidNotFinishWithinTheCloseTimeout() throws Exception {
    ILoggingEvent line = ObservabilityTest.firstAccessLine(() -> upstreamGetsOnlyTheRealBytesAfter(
        WsProxy.builder().readTimeout(Duration.ofMillis(500)).closeTimeout(Duration.ofSeconds(1)), client -> { }, DEADLINE));

    assertThat(line.getFormattedMessage()).contains("note=\"idle timeout; close handshake timed out; "
        + "upstream leg ended mid-frame: the frame in flight did not finish within the close timeout\"");
  }

  /** Closes the connection with 4000 on any client message; the upstream's direction stays raw. */
  static final class ClosesWhenAsked extends Interceptor {
    @Override
    public Message onClientMessage(ProxyConnection connection, Message message) {
      connection.close(4000, "asked to close");
      return null;
    }
  }

  /** What the client does after sending 300 bytes of its 310-byte frame. */
  private interface ClientAction {
    void run(RawClient client) throws Exception;
  }

  private void upstreamGetsOnlyTheRealBytesAfter(WsProxy.Builder builder, ClientAction action, Duration ending)
      throws Exception {
    upstreamGetsOnlyTheRealBytesAfter(builder, action, ending, new CompletableFuture<>());
  }

  private void upstreamGetsOnlyTheRealBytesAfter(
      WsProxy.Builder builder, ClientAction action, Duration ending, CompletableFuture<WsProxy> proxyOf) throws Exception {
    CountDownLatch partRelayed = new CountDownLatch(1);
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          assertThat(readPayloadPrefix(c::readBytes)).isEqualTo(Arrays.copyOf(payload, SENT));
          partRelayed.countDown();
          assertThat(c.awaitEof(ending)).as("the connection ended in time").isTrue();
          assertThat(c.buffered()).as("bytes after the real ones").isZero();
        });
        WsProxy proxy = startProxy(builder.upstream(upstream.uri()));
        RawClient client = RawClient.connect(proxy.port())) {
      proxyOf.complete(proxy);
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);
      client.sendRaw(partialFrame(MASK));
      assertThat(partRelayed.await(10, TimeUnit.SECONDS)).as("the first 300 bytes were relayed").isTrue();

      action.run(client);

      upstream.awaitScriptsFinished(1, Duration.ofSeconds(40));
      upstream.assertNoFailures();
    }
  }

  private static final byte[] MASK = {0x11, 0x22, 0x33, 0x44};

  /** A 310-byte binary frame's header and its first 300 payload bytes; masked with a key. */
  private byte[] partialFrame(byte[] maskKey) {
    byte[] frame = WireFrame.encode(WireFrame.binary(payload), maskKey);
    return Arrays.copyOf(frame, frame.length - (DECLARED - SENT));
  }

  /** Reads n bytes within the deadline. */
  private interface ByteReader {
    byte[] read(int n, Duration timeout) throws IOException;
  }

  /** The first 300 payload bytes of a frame, unmasked, and its mask key (null if unmasked). */
  private record Prefix(byte[] payload, byte[] key) {
    /** The frame's last 10 bytes, unmasked. */
    byte[] unmaskTail(byte[] tail) {
      byte[] bytes = tail.clone();
      for (int i = 0; key != null && i < bytes.length; i++) {
        bytes[i] ^= key[(SENT + i) % 4];
      }
      return bytes;
    }
  }

  /** Reads the header of a binary frame of 310 bytes and its first 300 payload bytes. */
  private static Prefix readPrefix(ByteReader in) throws IOException {
    byte[] head = in.read(2, DEADLINE);
    assertThat(head[0] & 0xff).as("FIN and binary").isEqualTo(0x82);
    assertThat(head[1] & 0x7f).as("a 16-bit length").isEqualTo(126);
    byte[] length = in.read(2, DEADLINE);
    assertThat(((length[0] & 0xff) << 8) | (length[1] & 0xff)).isEqualTo(DECLARED);
    byte[] key = (head[1] & 0x80) != 0 ? in.read(4, DEADLINE) : null;
    byte[] bytes = in.read(SENT, DEADLINE);
    if (key != null) {
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] ^= key[i % 4];
      }
    }
    return new Prefix(bytes, key);
  }

  private static byte[] readPayloadPrefix(ByteReader in) throws IOException {
    return readPrefix(in).payload();
  }

  private static Thread closeInBackground(WsProxy proxy) {
    Thread closing = new Thread(proxy::close, "closing-proxy");
    closing.start();
    return closing;
  }

  private static void awaitListenerClosed(int port) {
    Await.until(() -> {
      try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return false;
      } catch (ConnectException e) {
        return true;
      } catch (IOException e) {
        return false;
      }
    }, DEADLINE, "the proxy stopped listening");
  }

  private static byte[] payload(int n) {
    byte[] bytes = new byte[n];
    new SplittableRandom(13).nextBytes(bytes);
    return bytes;
  }
}
