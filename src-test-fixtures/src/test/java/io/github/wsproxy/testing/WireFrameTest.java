package io.github.wsproxy.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class WireFrameTest {

  @Test
  void encodesRfcExamples() {
    // RFC 6455 §5.7: unmasked "Hello", masked "Hello", unmasked ping "Hello"
    assertThat(hex(WireFrame.text("Hello").encode(null))).isEqualTo("810548656c6c6f");
    byte[] key = HexFormat.of().parseHex("37fa213d");
    assertThat(hex(WireFrame.text("Hello").encode(key))).isEqualTo("818537fa213d7f9f4d5158");
    assertThat(hex(WireFrame.ping("Hello".getBytes(StandardCharsets.UTF_8)).encode(null)))
        .isEqualTo("890548656c6c6f");
    assertThat(hex(WireFrame.textFragment("Hel").encode(null))).isEqualTo("010348656c");
  }

  @Test
  void roundTripsAllLengthEncodings() throws IOException {
    for (int len : new int[] {0, 125, 126, 65535, 65536, 200_000}) {
      WireFrame frame = new WireFrame(false, WireFrame.RSV1 | WireFrame.RSV3, 3, new byte[len], false);
      byte[] masked = frame.encode(WireFrame.randomMaskKey());
      WireFrame decoded = WireFrame.decode(new ByteArrayInputStream(masked));
      assertThat(decoded).isEqualTo(frame);
      assertThat(decoded.masked()).isTrue();
      assertThat(decoded.rsv1()).isTrue();
      assertThat(WireFrame.encodedLength(masked, 0, masked.length)).isEqualTo(masked.length);
      assertThat(WireFrame.encodedLength(masked, 0, 1)).isEqualTo(-1);
      byte[] plain = frame.encode(null);
      assertThat(plain.length).isEqualTo(masked.length - 4);
      assertThat(WireFrame.decode(new ByteArrayInputStream(plain)).masked()).isFalse();
    }
  }

  @Test
  void closeHelpers() {
    WireFrame close = WireFrame.close(4001, "bye é");
    assertThat(close.closeCode()).isEqualTo(4001);
    assertThat(close.closeReason()).isEqualTo("bye é");
    assertThat(WireFrame.closeEmpty().closeCode()).isEqualTo(-1);
    assertThat(WireFrame.closeEmpty().closeReason()).isEmpty();
    assertThat(WireFrame.close(1000, "").length()).isEqualTo(2);
    assertThat(close.toString()).contains("CLOSE", "4001", "bye");
  }

  @Test
  void decodeLimitsAndTruncation() {
    byte[] big = WireFrame.binary(new byte[1000]).encode(null);
    assertThatThrownBy(() -> WireFrame.decode(new ByteArrayInputStream(big), 999))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("exceeds");
    assertThatThrownBy(() -> WireFrame.decode(new ByteArrayInputStream(big, 0, 500)))
        .isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> WireFrame.decode(new ByteArrayInputStream(new byte[0])))
        .isInstanceOf(EOFException.class);
  }

  @Test
  void payloadIsDefensivelyCopied() {
    byte[] data = {1, 2, 3};
    WireFrame frame = WireFrame.binary(data);
    data[0] = 9;
    frame.payload()[1] = 9;
    assertThat(frame.payload()).containsExactly(1, 2, 3);
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
