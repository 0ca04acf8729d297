package io.github.wsproxy.internal.frame;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FrameScannerTest {
  private final Masking masking = new Masking();

  @Test
  void remasksClientFramesSoThatThePayloadIsUnchanged() {
    byte[] payload = "the quick brown fox jumps over the lazy dog, twice over".getBytes(StandardCharsets.UTF_8);
    byte[] frame = frame(0x81, payload, 0x11223344);
    FrameScanner scanner = new FrameScanner(true, 1 << 20, true, masking);
    ByteBuffer buf = ByteBuffer.allocate(frame.length).put(frame);

    int ready = scanner.scan(buf, 0, frame.length);

    assertThat(ready).isEqualTo(frame.length);
    assertThat(buf.getInt(2)).isNotEqualTo(0x11223344);
    assertThat(unmask(buf.array(), 6, buf.getInt(2))).isEqualTo(payload);
    assertThat(scanner.messages()).isEqualTo(1);
  }

  @Test
  void remaskingSurvivesAPayloadSplitAtEveryOffset() {
    byte[] payload = new byte[300];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) i;
    }
    byte[] frame = frame(0x82, payload, 0xCAFEBABE);
    for (int split = 1; split < frame.length; split++) {
      FrameScanner scanner = new FrameScanner(true, 1 << 20, true, masking);
      ByteBuffer buf = ByteBuffer.allocate(frame.length).put(frame);
      int ready = scanner.scan(buf, 0, split);
      ready = scanner.scan(buf, ready, frame.length);
      assertThat(ready).isEqualTo(frame.length);
      assertThat(unmask(buf.array(), 8, buf.getInt(4))).as("split at %d", split).isEqualTo(payload);
    }
  }

  @Test
  void acceptsUtf8CharacterSplitAcrossFragments() {
    byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.writeBytes(frame(0x01, Arrays.copyOfRange(euro, 0, 1), 0x01020304));
    stream.writeBytes(frame(0x80, Arrays.copyOfRange(euro, 1, 3), 0x05060708));
    byte[] bytes = stream.toByteArray();
    FrameScanner scanner = new FrameScanner(true, 1 << 20, true, masking);

    int ready = scanner.scan(ByteBuffer.wrap(bytes), 0, bytes.length);

    assertThat(scanner.stop()).isEqualTo(FrameScanner.Stop.NEED_MORE);
    assertThat(ready).isEqualTo(bytes.length);
  }

  @Test
  void rejectsInvalidUtf8With1007() {
    byte[] bytes = frame(0x81, new byte[] {'o', 'k', (byte) 0xC0, (byte) 0xAF}, 0);
    FrameScanner scanner = new FrameScanner(false, 1 << 20, true, masking);

    int ready = scanner.scan(ByteBuffer.wrap(bytes), 0, bytes.length);

    assertThat(scanner.stop()).isEqualTo(FrameScanner.Stop.VIOLATION);
    assertThat(scanner.violationCode()).isEqualTo(1007);
    assertThat(ready).isZero();
    assertThat(scanner.violationMidFrame()).isFalse();
  }

  @Test
  void skipsUtf8CheckWhenDisabled() {
    byte[] bytes = frame(0x81, new byte[] {(byte) 0xFF}, 0);
    FrameScanner scanner = new FrameScanner(false, 1 << 20, false, masking);

    scanner.scan(ByteBuffer.wrap(bytes), 0, bytes.length);

    assertThat(scanner.stop()).isEqualTo(FrameScanner.Stop.NEED_MORE);
  }

  @Test
  void rejectsUnmaskedClientFrameAndMaskedUpstreamFrame() {
    byte[] unmasked = frame(0x81, new byte[] {'a'}, 0);
    FrameScanner fromClient = new FrameScanner(true, 1 << 20, true, masking);
    fromClient.scan(ByteBuffer.wrap(unmasked), 0, unmasked.length);
    assertThat(fromClient.violationCode()).isEqualTo(1002);

    byte[] masked = frame(0x81, new byte[] {'a'}, 7);
    FrameScanner fromUpstream = new FrameScanner(false, 1 << 20, true, masking);
    fromUpstream.scan(ByteBuffer.wrap(masked), 0, masked.length);
    assertThat(fromUpstream.violationCode()).isEqualTo(1002);
  }

  @Test
  void rejectsReservedBitsOpcodesAndBadFragmentation() {
    assertViolation(frame(0xC1, new byte[1], 0), 1002, "RSV1 set but no compression");
    assertViolation(frame(0xA1, new byte[1], 0), 1002, "RSV2/RSV3");
    assertViolation(frame(0x83, new byte[1], 0), 1002, "reserved opcode 3");
    assertViolation(frame(0x09, new byte[1], 0), 1002, "fragmented control frame");
    assertViolation(frame(0x80, new byte[1], 0), 1002, "continuation frame without a message");
    byte[] twoStarts = concat(frame(0x01, new byte[1], 0), frame(0x81, new byte[1], 0));
    assertViolation(twoStarts, 1002, "new message before the previous one finished");
  }

  @Test
  void allowsRsv1OnFirstFrameOnlyWhenCompressionNegotiated() {
    byte[] bytes = concat(frame(0x41, new byte[] {(byte) 0xFF}, 0), frame(0x80, new byte[] {(byte) 0xFE}, 0));
    FrameScanner scanner = new FrameScanner(false, 1 << 20, true, masking);
    scanner.allowCompression();

    int ready = scanner.scan(ByteBuffer.wrap(bytes), 0, bytes.length);

    assertThat(scanner.stop()).isEqualTo(FrameScanner.Stop.NEED_MORE);
    assertThat(ready).isEqualTo(bytes.length);
  }

  @Test
  void rejectsMessageOverTheLimitBeforeRelayingItsFrame() {
    byte[] bytes = concat(frame(0x02, new byte[100], 0), frame(0x80, new byte[100], 0));
    FrameScanner scanner = new FrameScanner(false, 150, true, masking);

    int ready = scanner.scan(ByteBuffer.wrap(bytes), 0, bytes.length);

    assertThat(scanner.violationCode()).isEqualTo(1009);
    assertThat(ready).isEqualTo(102);
  }

  @Test
  void decodesCloseFramesAndRejectsForbiddenCodes() {
    byte[] close = frame(0x88, new byte[] {0x0F, (byte) 0xA0, 'b', 'y', 'e'}, 0x0A0B0C0D);
    FrameScanner scanner = new FrameScanner(true, 1 << 20, true, masking);
    int ready = scanner.scan(ByteBuffer.wrap(close), 0, close.length);
    assertThat(scanner.stop()).isEqualTo(FrameScanner.Stop.CLOSE);
    assertThat(ready).isEqualTo(close.length);
    assertThat(scanner.closeCode()).isEqualTo(4000);
    assertThat(scanner.closeReason()).isEqualTo("bye");

    byte[] empty = frame(0x88, new byte[0], 0);
    FrameScanner emptyScanner = new FrameScanner(false, 1 << 20, true, masking);
    emptyScanner.scan(ByteBuffer.wrap(empty), 0, empty.length);
    assertThat(emptyScanner.closeCode()).isEqualTo(WebSocketProtocol.CLOSE_NO_CODE);

    for (int code : new int[] {999, 1004, 1005, 1006, 1015, 2000, 5000}) {
      assertViolation(frame(0x88, new byte[] {(byte) (code >> 8), (byte) code}, 0), 1002, "invalid close code");
    }
  }

  @Test
  void waitsForTheRestOfAHeaderOrControlFrame() {
    byte[] ping = frame(0x89, new byte[] {1, 2, 3}, 0);
    FrameScanner scanner = new FrameScanner(false, 1 << 20, true, masking);
    ByteBuffer buf = ByteBuffer.wrap(ping);

    assertThat(scanner.scan(buf, 0, 1)).isZero();
    assertThat(scanner.scan(buf, 0, 4)).isZero();
    assertThat(scanner.scan(buf, 0, ping.length)).isEqualTo(ping.length);
  }

  private void assertViolation(byte[] bytes, int code, String reason) {
    FrameScanner scanner = new FrameScanner(false, 1 << 20, true, masking);
    scanner.scan(ByteBuffer.wrap(bytes), 0, bytes.length);
    assertThat(scanner.stop()).as(reason).isEqualTo(FrameScanner.Stop.VIOLATION);
    assertThat(scanner.violationCode()).as(reason).isEqualTo(code);
    assertThat(scanner.violationReason()).contains(reason);
  }

  /** Encodes a frame; a non-zero key masks it. */
  static byte[] frame(int firstByte, byte[] payload, int maskKey) {
    ByteBuffer out = ByteBuffer.allocate(payload.length + 14);
    out.put((byte) firstByte);
    int maskBit = maskKey != 0 ? 0x80 : 0;
    if (payload.length < 126) {
      out.put((byte) (maskBit | payload.length));
    } else if (payload.length < 65536) {
      out.put((byte) (maskBit | 126)).putShort((short) payload.length);
    } else {
      out.put((byte) (maskBit | 127)).putLong(payload.length);
    }
    if (maskKey != 0) {
      out.putInt(maskKey);
    }
    for (int i = 0; i < payload.length; i++) {
      out.put((byte) (payload[i] ^ (maskKey != 0 ? (maskKey >>> (24 - 8 * (i & 3))) : 0)));
    }
    return Arrays.copyOf(out.array(), out.position());
  }

  private static byte[] unmask(byte[] bytes, int from, int key) {
    byte[] plain = Arrays.copyOfRange(bytes, from, bytes.length);
    for (int i = 0; i < plain.length; i++) {
      plain[i] ^= (byte) (key >>> (24 - 8 * (i & 3)));
    }
    return plain;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
