package io.github.wsproxy;

import static io.github.wsproxy.HandshakeTest.startProxy;
import static io.github.wsproxy.HandshakeTest.uri;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.JwsTestClient;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RecordedClose;
import io.github.wsproxy.testing.WireFrame;
import io.github.wsproxy.testing.WsProxyExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Messages and frames relayed between real clients and a real upstream. */
class RelayTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @RegisterExtension
  WsProxyExtension echo = WsProxyExtension.echo();

  @Test
  void relaysTextBinaryEmptyAndLargeMessagesByteIdentical() throws Exception {
    JdkTestClient client = echo.connectJdk();
    byte[] large = new byte[5 * 1024 * 1024];
    new Random(42).nextBytes(large);
    String multibyte = "héllo wörld € 😀 ".repeat(60_000);

    client.sendText("hello");
    client.sendBinary(new byte[] {0, 1, 2, (byte) 255});
    client.sendText("");
    client.sendBinary(large);
    client.sendText(multibyte);

    assertThat(client.awaitText(DEADLINE)).isEqualTo("hello");
    assertThat(client.awaitBinary(DEADLINE)).containsExactly(0, 1, 2, 255);
    assertThat(client.awaitText(DEADLINE)).isEmpty();
    assertThat(client.awaitBinary(DEADLINE)).isEqualTo(large);
    assertThat(client.awaitText(DEADLINE)).isEqualTo(multibyte);
  }

  @Test
  void relaysAMessageOfExactlyTheDefaultLimit() throws Exception {
    JwsTestClient client = echo.connectJwsClient();
    byte[] sixteenMiB = new byte[16 * 1024 * 1024];
    sixteenMiB[sixteenMiB.length - 1] = 7;

    client.sendBinary(sixteenMiB);

    assertThat(client.awaitBinary(Duration.ofSeconds(30))).isEqualTo(sixteenMiB);
  }

  @Test
  void keepsConcurrentConnectionsApartAndInOrder() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<String>>> results = new ArrayList<>();
      for (int c = 0; c < 20; c++) {
        int connection = c;
        results.add(pool.submit(() -> {
          try (JdkTestClient client = JdkTestClient.connect(echo.proxyUri())) {
            List<String> received = new ArrayList<>();
            for (int m = 0; m < 50; m++) {
              client.sendText(connection + ":" + m);
            }
            for (int m = 0; m < 50; m++) {
              received.add(client.awaitText(DEADLINE));
            }
            return received;
          }
        }));
      }
      for (int c = 0; c < 20; c++) {
        List<String> expected = new ArrayList<>();
        for (int m = 0; m < 50; m++) {
          expected.add(c + ":" + m);
        }
        assertThat(results.get(c).get()).isEqualTo(expected);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void keepsFragmentsAndInterleavedPingsFromTheClient() throws Exception {
    JwsTestClient client = echo.connectJwsClient();
    List<WireFrame> frames = List.of(
        WireFrame.textFragment("Hel"), WireFrame.ping("p".getBytes(StandardCharsets.UTF_8)),
        WireFrame.continuation("lo, ", false), WireFrame.continuation("world", true));

    client.sendFrames(frames);

    List<WireFrame> seen = echo.upstream().awaitFrames(4, DEADLINE);
    assertThat(seen.subList(0, 4)).containsExactlyElementsOf(frames);
    assertThat(seen).allMatch(WireFrame::masked);
    assertThat(client.awaitText(DEADLINE)).isEqualTo("Hello, world");
  }

  @Test
  void keepsFragmentsAndPingsFromTheUpstream() throws Exception {
    RawClient client = echo.connectRaw();
    assertThat(client.handshake("/").statusCode()).isEqualTo(101);
    echo.upstream().awaitOpenConnections(1, DEADLINE);
    List<WireFrame> frames = List.of(
        WireFrame.binaryFragment(new byte[] {1}), WireFrame.ping(new byte[] {9}),
        WireFrame.continuation(new byte[] {2}, true), WireFrame.pong(new byte[] {8}));

    echo.upstream().sendFramesToAll(frames);

    for (WireFrame expected : frames) {
      WireFrame frame = client.readFrame(DEADLINE);
      assertThat(frame).isEqualTo(expected);
      assertThat(frame.masked()).isFalse();
    }
  }

  @Test
  void masksFramesTowardTheUpstreamEvenWhenTheClientsKeyIsZero() throws Exception {
    RawClient client = echo.connectRaw();
    assertThat(client.handshake("/").statusCode()).isEqualTo(101);
    byte[] key = {0, 0, 0, 0};

    client.sendFrame(WireFrame.binary(new byte[] {10, 20, 30, 40, 50}), key);

    assertThat(client.readFrame(DEADLINE).payload()).containsExactly(10, 20, 30, 40, 50);
    WireFrame seen = echo.upstream().awaitFrames(1, DEADLINE).get(0);
    assertThat(seen.masked()).isTrue();
    assertThat(seen.payload()).containsExactly(10, 20, 30, 40, 50);
  }

  @Test
  void relaysFramesWhoseHeadersArriveInPieces() throws Exception {
    RawClient client = echo.connectRaw();
    assertThat(client.handshake("/").statusCode()).isEqualTo(101);
    byte[] frame = WireFrame.text("split header").encode(WireFrame.randomMaskKey());
    byte[] ping = WireFrame.ping(new byte[100]).encode(WireFrame.randomMaskKey());

    client.sendRaw(java.util.Arrays.copyOfRange(frame, 0, 1));
    client.sendRaw(java.util.Arrays.copyOfRange(frame, 1, 4));
    client.sendRaw(java.util.Arrays.copyOfRange(frame, 4, frame.length));
    client.sendRaw(java.util.Arrays.copyOfRange(ping, 0, 50));
    client.sendRaw(java.util.Arrays.copyOfRange(ping, 50, ping.length));

    assertThat(client.readFrame(DEADLINE).payloadText()).isEqualTo("split header");
    assertThat(echo.upstream().awaitFrames(2, DEADLINE).get(1)).isEqualTo(WireFrame.ping(new byte[100]));
  }

  @Test
  void closesBothSidesWith1009WhenAMessageIsOverTheLimit() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(echo.upstream().uri()).maxMessageBytes(1024));
        JwsTestClient client = JwsTestClient.connect(uri(proxy, "/"));
        JwsTestClient fragmented = JwsTestClient.connect(uri(proxy, "/"));
        JdkTestClient bystander = JdkTestClient.connect(uri(proxy, "/"))) {
      client.sendBinary(new byte[2000]);
      fragmented.sendFrames(List.of(WireFrame.binaryFragment(new byte[600]), WireFrame.continuation(new byte[600], true)));

      assertThat(client.awaitClose(DEADLINE).code()).isEqualTo(1009);
      assertThat(fragmented.awaitClose(DEADLINE).code()).isEqualTo(1009);
      assertThat(echo.upstream().awaitCloses(2, DEADLINE)).extracting(RecordedClose::code).containsOnly(1009);
      bystander.sendText("unaffected");
      assertThat(bystander.awaitText(DEADLINE)).isEqualTo("unaffected");
    }
  }
}
