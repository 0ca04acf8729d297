package io.github.wsproxy;

import static io.github.wsproxy.HandshakeTest.startProxy;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.WireFrame;
import io.github.wsproxy.testing.WsProxyExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Protocol violations close the offending pair with 1002/1007; everyone else keeps going. */
class ViolationTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final byte[] INVALID_UTF8 = {'o', 'k', (byte) 0xC0, (byte) 0xAF};

  @RegisterExtension
  WsProxyExtension echo = WsProxyExtension.echo();

  @Test
  void closesWith1002OnClientProtocolViolationsAndKeepsServing() throws Exception {
    assertClientViolation(c -> c.sendFrameUnmasked(WireFrame.text("no mask")), 1002);
    assertClientViolation(c -> c.sendFrame(WireFrame.text("rsv2").withRsv(WireFrame.RSV2)), 1002);
    assertClientViolation(c -> c.sendFrame(WireFrame.text("rsv1").withRsv(WireFrame.RSV1)), 1002);
    assertClientViolation(c -> c.sendFrame(WireFrame.text("op3").withOpcode(3)), 1002);
    assertClientViolation(c -> c.sendFrame(WireFrame.ping(new byte[1]).withFin(false)), 1002);
    assertClientViolation(c -> c.sendFrame(WireFrame.ping(new byte[126])), 1002);
    assertClientViolation(c -> c.sendFrame(WireFrame.continuation(new byte[1], true)), 1002);
    assertClientViolation(c -> c.sendFrame(WireFrame.close(1005, "")), 1002);
    assertClientViolation(c -> c.sendFrame(WireFrame.close(999, "")), 1002);
    assertClientViolation(c -> c.sendFrame(new WireFrame(true, 0, WireFrame.TEXT, INVALID_UTF8, false)), 1007);

    JdkTestClient bystander = echo.connectJdk();
    bystander.sendText("still serving");
    assertThat(bystander.awaitText(DEADLINE)).isEqualTo("still serving");
  }

  @Test
  void closesWith1007WhenTheUpstreamSendsInvalidUtf8() throws Exception {
    assertUpstreamViolation(c -> c.sendFrame(new WireFrame(true, 0, WireFrame.TEXT, INVALID_UTF8, false)), 1007);
  }

  @Test
  void closesWith1002WhenTheUpstreamMasksItsFrames() throws Exception {
    assertUpstreamViolation(c -> c.sendFrameMasked(WireFrame.text("masked")), 1002);
  }

  @Test
  void relaysInvalidUtf8WhenValidationIsOff() throws Exception {
    try (WsProxy proxy = startProxy(WsProxy.builder().upstream(echo.upstream().uri()).validateUtf8(false));
        RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);
      client.sendFrame(new WireFrame(true, 0, WireFrame.TEXT, INVALID_UTF8, false));

      assertThat(echo.upstream().awaitFrames(1, DEADLINE).get(0).payload()).isEqualTo(INVALID_UTF8);
    }
  }

  private interface ClientAction {
    void run(RawClient client) throws Exception;
  }

  private interface UpstreamAction {
    void run(RawUpstream.Connection connection) throws Exception;
  }

  private void assertClientViolation(ClientAction violation, int code) throws Exception {
    int before = echo.upstream().closes().size();
    try (RawClient client = echo.connectRaw()) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);

      violation.run(client);

      WireFrame close = client.readFrameSkippingPingPong(DEADLINE);
      assertThat(close.opcode()).isEqualTo(WireFrame.CLOSE);
      assertThat(close.closeCode()).isEqualTo(code);
      assertThat(echo.upstream().awaitCloses(before + 1, DEADLINE).get(before).code()).isEqualTo(code);
    }
  }

  private void assertUpstreamViolation(UpstreamAction violation, int code) throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          violation.run(c);
          WireFrame close = c.readFrame(DEADLINE);
          c.sendFrame(WireFrame.close(close.closeCode(), "seen " + close.closeCode()));
          c.awaitEof(DEADLINE);
        });
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()));
        JdkTestClient client = JdkTestClient.connect(HandshakeTest.uri(proxy, "/"))) {
      assertThat(client.awaitClose(DEADLINE).code()).isEqualTo(code);
      upstream.awaitScriptsFinished(1, DEADLINE);
      assertThat(upstream.failures()).isEmpty();
    }
  }
}
