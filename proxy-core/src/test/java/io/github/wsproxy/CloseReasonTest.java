package io.github.wsproxy;

import static io.github.wsproxy.HandshakeTest.startProxy;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.RawClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.WireFrame;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The reasons of the close frames the proxy writes itself say what happened, once (issue 13, part 4). */
class CloseReasonTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  /** A word said twice in a row, as in "client client frame is not masked". */
  private static final Pattern REPEATED_WORD = Pattern.compile("(?i)\\b(\\w+)\\s+\\1\\b");

  @Test
  void theReasonForAnUnmaskedClientFrameNamesTheSideOnce() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.echo());
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()));
        RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);

      client.sendFrameUnmasked(WireFrame.text("bare"));

      WireFrame close = client.readFrameSkippingPingPong(DEADLINE);
      assertThat(close.closeCode()).isEqualTo(1002);
      assertThat(close.closeReason()).containsIgnoringCase("mask").doesNotContainPattern(REPEATED_WORD);
      upstream.awaitScriptsFinished(1, DEADLINE);
      assertThat(closeReasons(upstream.receivedFrames())).allSatisfy(reason -> assertThat(reason).doesNotContainPattern(REPEATED_WORD));
    }
  }

  @Test
  void theReasonForAMaskedUpstreamFrameNamesTheSideOnce() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          c.sendFrameMasked(WireFrame.text("masked"));
          c.readFrameOrEof(DEADLINE);
        });
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri()));
        RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);

      WireFrame close = client.readFrameSkippingPingPong(DEADLINE);

      assertThat(close.opcode()).isEqualTo(WireFrame.CLOSE);
      assertThat(close.closeReason()).doesNotContainPattern(REPEATED_WORD);
      // answered, the upstream (the violating side) gets its close at once, not after the close timeout
      client.sendFrame(WireFrame.close(close.closeCode(), ""));
      upstream.awaitScriptsFinished(1, DEADLINE);
      List<String> toUpstream = closeReasons(upstream.receivedFrames());
      assertThat(toUpstream).isNotEmpty().allSatisfy(reason -> assertThat(reason).containsIgnoringCase("mask").doesNotContainPattern(REPEATED_WORD));
    }
  }

  @Test
  void theClientLearnsThatTheUpstreamStoppedAnsweringPings() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(c -> {
          c.accept(c.readRequest());
          while (c.readFrameOrEof(DEADLINE) != null) {
            // reads the proxy's pings and never answers them
          }
        });
        WsProxy proxy = startProxy(WsProxy.builder().upstream(upstream.uri())
            .upstreamPingInterval(Duration.ofMillis(200)).pongTimeout(Duration.ofMillis(300)));
        RawClient client = RawClient.connect(proxy.port())) {
      assertThat(client.handshake("/").statusCode()).isEqualTo(101);

      WireFrame close = client.readFrameSkippingPingPong(DEADLINE);

      assertThat(close.closeCode()).isEqualTo(1011);
      assertThat(close.closeReason()).containsIgnoringCase("ping").doesNotContain("without a close frame");
    }
  }

  private static List<String> closeReasons(List<WireFrame> frames) {
    return frames.stream().filter(f -> f.opcode() == WireFrame.CLOSE).map(WireFrame::closeReason).toList();
  }
}
