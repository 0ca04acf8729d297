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
  void shortWholeMessagesAreRemaskedAtEverySplitAndHeldToTheLimitsLikeAnyOther() {
    // Binary messages (and text when UTF-8 is not validated) of up to 125 bytes in one frame take
    // the scanner's short path when they have arrived whole; split anywhere, they take the general
    // one. Either way: re-masked with a fresh key, the payload unchanged, counted once.
    for (int length : new int[] {0, 1, 7, 8, 9, 64, 125}) {
      byte[] payload = new byte[length];
      for (int i = 0; i < length; i++) {
        payload[i] = (byte) (i * 7);
      }
      for (int firstByte : new int[] {0x82, 0x81}) {
        byte[] one = frame(firstByte, payload, 0x0BADF00D);
        byte[] two = concat(one, frame(firstByte, payload, 0x7EA7C0DE));
        for (int split = 0; split <= two.length; split++) {
          FrameScanner scanner = new FrameScanner(true, 1 << 20, false, masking);
          ByteBuffer buf = ByteBuffer.allocate(two.length).put(two);
          int ready = scanner.scan(buf, 0, split);
          ready = scanner.scan(buf, ready, two.length);
          String at = "0x" + Integer.toHexString(firstByte) + ", " + length + " bytes, split at " + split;
          assertThat(ready).as(at).isEqualTo(two.length);
          assertThat(scanner.messages()).as(at).isEqualTo(2);
          assertThat(buf.getInt(2)).as(at).isNotEqualTo(0x0BADF00D);
          assertThat(unmask(Arrays.copyOf(buf.array(), one.length), 6, buf.getInt(2))).as(at).isEqualTo(payload);
          assertThat(unmask(buf.array(), one.length + 6, buf.getInt(one.length + 2))).as(at).isEqualTo(payload);
        }
      }
    }
    byte[] atLimit = frame(0x82, new byte[64], 0x01020304);
    FrameScanner limited = new FrameScanner(true, 64, true, masking);
    assertThat(limited.scan(ByteBuffer.wrap(atLimit.clone()), 0, atLimit.length)).isEqualTo(atLimit.length);
    byte[] overLimit = frame(0x82, new byte[65], 0x01020304);
    limited = new FrameScanner(true, 64, true, masking);
    limited.scan(ByteBuffer.wrap(overLimit), 0, overLimit.length);
    assertThat(limited.violationCode()).as("one byte over the message limit").isEqualTo(1009);
    FrameScanner frameLimited = new FrameScanner(true, 1 << 20, true, masking);
    frameLimited.limitFrames(10);
    frameLimited.scan(ByteBuffer.wrap(frame(0x82, new byte[11], 0x01020304)), 0, 17);
    assertThat(frameLimited.violationCode()).as("one byte over the frame limit").isEqualTo(1009);
    FrameScanner fromClient = new FrameScanner(true, 1 << 20, true, masking);
    fromClient.scan(ByteBuffer.wrap(frame(0x82, new byte[3], 0)), 0, 5);
    assertThat(fromClient.violationReason()).isEqualTo("frame is not masked");
    FrameScanner fromUpstream = new FrameScanner(false, 1 << 20, true, null);
    fromUpstream.scan(ByteBuffer.wrap(frame(0x82, new byte[3], 0x01020304)), 0, 9);
    assertThat(fromUpstream.violationReason()).isEqualTo("frame is masked");
    byte[] badText = frame(0x81, new byte[] {(byte) 0xFF}, 0x01020304);
    FrameScanner validating = new FrameScanner(true, 1 << 20, true, masking);
    validating.scan(ByteBuffer.wrap(badText), 0, badText.length);
    assertThat(validating.violationCode()).as("short text is still validated when asked").isEqualTo(1007);
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
