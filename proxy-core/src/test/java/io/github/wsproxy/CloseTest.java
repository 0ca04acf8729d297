package io.github.wsproxy;

import static io.github.wsproxy.HandshakeTest.startProxy;
import static io.github.wsproxy.HandshakeTest.uri;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.JwsTestClient;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.RecordedClose;
import io.github.wsproxy.testing.WireFrame;
import io.github.wsproxy.testing.WsProxyExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Close handshakes, vanishing peers, and the connection ends the proxy decides itself. */
class CloseTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final Duration WITHIN_A_SECOND = Duration.ofSeconds(1);

  @RegisterExtension
  WsProxyExtension echo = WsProxyExtension.echo();

  @Test
  void leavesClosingTheTcpConnectionToTheUpstreamServer() throws Exception {
    CompletableFuture<Boolean> proxyEndedTcpFirst = new CompletableFuture<>();
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          c.sendFrame(WireFrame.close(1000, "server done"));
          assertThat(c.readFrame(DEADLINE).closeCode()).isEqualTo(1000);
          // the proxy is the client of this leg: the server closes first (RFC 6455 7.1.1)
          proxyEndedTcpFirst.complete(c.awaitEof(Duration.ofMillis(300)));
        });
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()).closeTimeout(Duration.ofSeconds(30)));
        RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);
      assertThat(client.readFrame(DEADLINE).closeCode()).isEqualTo(1000);
      client.sendFrame(WireFrame.close(1000, ""));

      // the proxy is the server of the client's leg: it closes that one itself, at once
      assertThat(client.awaitEof(DEADLINE)).isTrue();
      assertThat(proxyEndedTcpFirst.get(10, TimeUnit.SECONDS)).isFalse();
      // the server's close (its script ended) ends the connection, long before the close timeout
      Await.until(() -> proxy.connections().isEmpty(), Duration.ofSeconds(5), "the connection ended");
      upstream.assertNoFailures();
    }
  }

  @Test
  void relaysTheClientsCloseCodeAndReasonAndCompletesBothHandshakes() throws Exception {
    RawClient client = openRaw();

    client.sendFrame(WireFrame.close(4000, "bye"));

    WireFrame answer = client.readFrameSkippingPingPong(DEADLINE);
    assertThat(answer.closeCode()).isEqualTo(4000);
    assertThat(answer.closeReason()).isEqualTo("bye");
    assertThat(echo.upstream().awaitCloses(1, DEADLINE).get(0)).isEqualTo(new RecordedClose(4000, "bye", true));
    assertThat(client.awaitEof(DEADLINE)).isTrue();
  }

  @Test
  void relaysTheUpstreamsCloseCodeAndReason() throws Exception {
    JdkTestClient client = echo.connectJdk();
    echo.upstream().awaitOpenConnections(1, DEADLINE);

    echo.upstream().closeAll(4001, "server bye");

    assertThat(client.awaitClose(DEADLINE)).isEqualTo(new RecordedClose(4001, "server bye", true));
  }

  @Test
  void relaysACloseWithoutCodeAsACloseWithoutCodeBothWays() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.echo());
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()));
        RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);
      client.sendFrame(WireFrame.closeEmpty());

      WireFrame answer = client.readFrameSkippingPingPong(DEADLINE);
      assertThat(answer.opcode()).isEqualTo(WireFrame.CLOSE);
      assertThat(answer.payload()).isEmpty();
      Await.until(() -> !upstream.receivedFrames().isEmpty(), DEADLINE, "upstream got the close");
      assertThat(upstream.receivedFrames().get(0).opcode()).isEqualTo(WireFrame.CLOSE);
      assertThat(upstream.receivedFrames().get(0).payload()).isEmpty();
      assertThat(client.awaitEof(DEADLINE)).isTrue();
    }

    RawClient second = openRaw();
    echo.upstream().awaitOpenConnections(1, DEADLINE);
    echo.upstream().closeAllWithoutCode();
    WireFrame fromUpstream = second.readFrameSkippingPingPong(DEADLINE);
    assertThat(fromUpstream.opcode()).isEqualTo(WireFrame.CLOSE);
    assertThat(fromUpstream.payload()).isEmpty();
  }

  @Test
  void closesTheClientWith1011WhenTheUpstreamVanishesAfterDeliveringWhatItSent() throws Exception {
    JdkTestClient dropped = echo.connectJdk();
    echo.upstream().awaitOpenConnections(1, DEADLINE);

    echo.upstream().sendTextToAll("last words");
    echo.upstream().dropAll();

    assertThat(dropped.awaitText(DEADLINE)).isEqualTo("last words");
    long start = System.nanoTime();
    assertThat(dropped.awaitClose(DEADLINE).code()).isEqualTo(1011);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WITHIN_A_SECOND);
  }

  @Test
  void closesTheClientWith1011WhenTheUpstreamResets() throws Exception {
    JwsTestClient client = echo.connectJwsClient();
    echo.upstream().awaitOpenConnections(1, DEADLINE);

    echo.upstream().resetAll();

    assertThat(client.awaitClose(WITHIN_A_SECOND.multipliedBy(2)).code()).isEqualTo(1011);
  }

  @Test
  void closesTheUpstreamWith1001WhenTheClientVanishes() throws Exception {
    RawClient client = openRaw();
    client.sendFrame(WireFrame.text("sent before vanishing"));
    client.abort();

    assertThat(echo.upstream().awaitTexts(1, DEADLINE)).containsExactly("sent before vanishing");
    RecordedClose close = echo.upstream().awaitCloses(1, DEADLINE).get(0);
    assertThat(close.code()).isEqualTo(1001);
    assertThat(close.remote()).isTrue();
  }

  @Test
  void closesAnIdlePairWith1001OnBothSidesAfterTheReadTimeout() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(echo.upstream().uri()).readTimeout(Duration.ofMillis(400)));
        JdkTestClient idle = JdkTestClient.connect(uri(proxy, "/"))) {
      RecordedClose close = idle.awaitClose(DEADLINE);

      assertThat(close.code()).isEqualTo(1001);
      assertThat(close.reason()).isEqualTo("idle timeout");
      assertThat(echo.upstream().awaitCloses(1, DEADLINE).get(0).code()).isEqualTo(1001);
    }
  }

  @Test
  void trafficInEitherDirectionKeepsAPairOpenPastTheReadTimeout() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(echo.upstream().uri()).readTimeout(Duration.ofMillis(1000)));
        JdkTestClient client = JdkTestClient.connect(uri(proxy, "/"))) {
      echo.upstream().awaitOpenConnections(1, DEADLINE);
      long end = System.nanoTime() + Duration.ofMillis(2500).toNanos();
      for (int i = 0; System.nanoTime() < end; i++) {
        if (i % 2 == 0) {
          client.sendText("tick " + i);
        } else {
          echo.upstream().sendTextToAll("tock " + i);
        }
        assertThat(client.awaitText(DEADLINE)).endsWith(" " + i);
        assertThat(client.isInputClosed()).isFalse();
        Thread.sleep(150); // the stimulus: one message every 150 ms, not a wait for a condition
      }
      assertThat(echo.upstream().closes()).isEmpty();
    }
  }

  @Test
  void closesTheUpstreamWhenTheClientStopsReadingPastTheSendTimeoutAndStopsReadingTheUpstreamMeanwhile()
      throws Exception {
    byte[] chunk = new byte[64 * 1024];
    long[] written = new long[1];
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          c.socket().setSoTimeout(0);
          try {
            for (int i = 0; i < 2048; i++) {
              c.sendFrame(WireFrame.binary(chunk));
              written[0] += chunk.length;
            }
          } catch (java.io.IOException expected) {
            // the proxy closed the upstream leg
          }
        });
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()).sendTimeout(Duration.ofMillis(500)));
        RawClient client = RawClient.connect(proxy.port())) {
      client.socket().setReceiveBufferSize(16 * 1024);
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);

      upstream.awaitScriptsFinished(1, DEADLINE);

      // kernel buffers on loopback autotune up to tcp_rmem's maximum (32 MiB here); the proxy holds
      // at most one 64 KiB buffer, so the upstream is stopped long before its 128 MiB are written
      assertThat(written[0]).isLessThan(64L * 1024 * 1024);
      assertThat(upstream.failures()).isEmpty();
    }
  }

  @Test
  void shutdownSendsGoingAwayToEveryClientAndUpstreamAndStopsItsThreads() throws Exception {
    WsProxy proxy = startProxy(WsProxy.builder().upstream(echo.upstream().uri()));
    List<JdkTestClient> clients = List.of(
        JdkTestClient.connect(uri(proxy, "/")), JdkTestClient.connect(uri(proxy, "/")),
        JdkTestClient.connect(uri(proxy, "/")));
    echo.upstream().awaitOpenConnections(3, DEADLINE);

    proxy.close();

    for (JdkTestClient client : clients) {
      assertThat(client.awaitClose(DEADLINE).code()).isEqualTo(1001);
      client.close();
    }
    assertThat(echo.upstream().awaitCloses(3, DEADLINE)).extracting(RecordedClose::code).containsOnly(1001);
    String loopPrefix = "wsproxy-loop-" + proxy.boundAddress().getPort();
    Await.until(() -> Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith(loopPrefix)),
        DEADLINE, "event-loop threads gone");
  }

  private RawClient openRaw() throws Exception {
    RawClient client = echo.connectRaw();
    assertThat(client.handshake("/").statusCode()).isEqualTo(101);
    return client;
  }
}
