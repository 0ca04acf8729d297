package io.github.wsproxy.internal.frame;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * Coverage-guided fuzz test of {@link FrameScanner}: an arbitrary byte stream is scanned in one
 * piece and again cut into arbitrary reads, the way {@code Relay} feeds it (bytes left unchecked
 * are carried over to the next read). Both runs must agree, and every scan must keep its contract.
 *
 * <p>Input layout (so that seeds can be written by hand): byte 0 holds the flags (bit 0: frames
 * come from a client; bit 1: permessage-deflate negotiated; bit 2: validate UTF-8; bits 3-4: the
 * message size limit), byte 1 the number of cuts (low 4 bits), then one byte per cut, the length of
 * that read (0 to 255, empty reads included); the rest is the stream, whose last read takes what
 * remains. Regression inputs: {@code src/test/resources/.../FrameScannerFuzzTestInputs/scan}.
 */
class FrameScannerFuzzTest {
  /** Relay's bound on bytes held back: a 14-byte header, or a whole control frame of 6 + 125. */
  private static final int MAX_HELD_BACK = 131;
  private static final long[] MESSAGE_LIMITS = {16L * 1024 * 1024, 0, 125, Long.MAX_VALUE};
  /** Bytes before {@code from} and after {@code to} in each scanned buffer, which scan must not touch. */
  private static final int GUARD = 16;
  private static final byte GUARD_BYTE = (byte) 0xA5;

  @FuzzTest(maxDuration = "10s")
  void scan(byte[] input) {
    if (input.length < 2) {
      return;
    }
    int flags = input[0];
    boolean fromClient = (flags & 1) != 0;
    boolean compression = (flags & 2) != 0;
    boolean validateUtf8 = (flags & 4) != 0;
    long maxMessageBytes = MESSAGE_LIMITS[(flags >> 3) & 3];
    int cuts = Math.min(input[1] & 0xF, input.length - 2);
    int[] reads = new int[cuts];
    for (int i = 0; i < cuts; i++) {
      reads[i] = input[2 + i] & 0xFF;
    }
    byte[] stream = Arrays.copyOfRange(input, 2 + cuts, input.length);

    Outcome whole = run(stream, new int[0], fromClient, compression, validateUtf8, maxMessageBytes);
    Outcome split = run(stream, reads, fromClient, compression, validateUtf8, maxMessageBytes);

    assertThat(whole.violationMidFrame).as("a single scan starts at a frame boundary").isFalse();
    assertThat(split.stop).as("verdict").isEqualTo(whole.stop);
    assertThat(split.violationCode).as("violation code").isEqualTo(whole.violationCode);
    assertThat(split.violationReason).as("violation reason").isEqualTo(whole.violationReason);
    assertThat(split.closeCode).as("close code").isEqualTo(whole.closeCode);
    assertThat(split.closeReason).as("close reason").isEqualTo(whole.closeReason);
    assertThat(split.messages).as("messages").isEqualTo(whole.messages);
    if (split.violationMidFrame) {
      // Part of the offending frame was relayed before the violation showed: the rest is not.
      assertThat(startsWith(split.output, whole.output)).as("output relayed before the violation").isTrue();
    } else {
      assertThat(split.output).as("output").isEqualTo(whole.output);
      assertThat(split.heldBack).as("bytes held back").isEqualTo(whole.heldBack);
    }
    if (fromClient) {
      byte[] relayed = Arrays.copyOf(stream, whole.output.length);
      assertThat(Decoded.of(whole.output).content()).as("client frames re-masked, content unchanged")
          .isEqualTo(Decoded.of(relayed).content());
    } else {
      assertThat(startsWith(stream, whole.output)).as("upstream frames pass unchanged").isTrue();
    }
  }

  /** What a direction relayed and why it stopped. */
  private record Outcome(byte[] output, byte[] heldBack, FrameScanner.Stop stop, int violationCode,
      String violationReason, boolean violationMidFrame, int closeCode, String closeReason, long messages) {}

  private static Outcome run(byte[] stream, int[] reads, boolean fromClient, boolean compression,
      boolean validateUtf8, long maxMessageBytes) {
    // The same seed on both runs: the same fresh masking keys, so the outputs compare byte for byte.
    FrameScanner scanner = new FrameScanner(fromClient, maxMessageBytes, validateUtf8, new Masking(new Random(42)));
    if (compression) {
      scanner.allowCompression();
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    byte[] heldBack = new byte[0];
    // Direct, like the pool's buffers; each scan sees guard bytes on both sides of [from, to).
    ByteBuffer buf = ByteBuffer.allocateDirect(GUARD + MAX_HELD_BACK + stream.length + GUARD);
    int offset = 0;
    for (int read = 0; read <= reads.length; read++) {
      int n = read < reads.length ? Math.min(reads[read], stream.length - offset) : stream.length - offset;
      byte[] pending = concat(heldBack, Arrays.copyOfRange(stream, offset, offset + n));
      offset += n;
      for (int i = 0; i < buf.capacity(); i++) {
        buf.put(i, GUARD_BYTE);
      }
      buf.put(GUARD, pending);
      int from = GUARD;
      int to = GUARD + pending.length;

      int end = scanner.scan(buf, from, to);

      FrameScanner.Stop stop = scanner.stop();
      assertThat(end).as("returned index").isBetween(from, to);
      assertThat(guardsIntact(buf, to)).as("bytes outside [from, to) untouched").isTrue();
      byte[] ready = new byte[end - from];
      buf.get(from, ready);
      output.writeBytes(ready);
      if (stop == FrameScanner.Stop.NEED_MORE) {
        assertThat(scanner.atFrameBoundary()).as("at a frame boundary")
            .isEqualTo(Decoded.of(output.toByteArray()).atFrameBoundary());
        heldBack = new byte[to - end];
        buf.get(end, heldBack);
        assertThat(heldBack.length).as("bytes held back for the next read").isLessThanOrEqualTo(MAX_HELD_BACK);
        assertThat(heldBack).as("held-back bytes are untouched, they are scanned again")
            .isEqualTo(Arrays.copyOfRange(pending, end - from, pending.length));
        continue;
      }
      if (stop == FrameScanner.Stop.CLOSE) {
        assertThat(end).as("a close frame was returned").isGreaterThan(from);
        assertThat(scanner.closeCode() == WebSocketProtocol.CLOSE_NO_CODE
                || WebSocketProtocol.isValidCloseCode(scanner.closeCode()))
            .as("close code %d", scanner.closeCode()).isTrue();
        return new Outcome(output.toByteArray(), new byte[0], stop, 0, null, false,
            scanner.closeCode(), scanner.closeReason(), scanner.messages());
      }
      assertThat(scanner.violationCode()).as("violation code").isIn(1002, 1007, 1009);
      assertThat(scanner.violationReason()).as("violation reason").isNotBlank();
      if (scanner.violationMidFrame()) {
        assertThat(end).as("mid-frame violation relays nothing more").isEqualTo(from);
      }
      return new Outcome(output.toByteArray(), new byte[0], stop, scanner.violationCode(),
          scanner.violationReason(), scanner.violationMidFrame(), 0, null, scanner.messages());
    }
    return new Outcome(output.toByteArray(), heldBack, FrameScanner.Stop.NEED_MORE, 0, null, false, 0, null,
        scanner.messages());
  }

  private static boolean guardsIntact(ByteBuffer buf, int to) {
    for (int i = 0; i < GUARD; i++) {
      if (buf.get(i) != GUARD_BYTE || buf.get(to + i) != GUARD_BYTE) {
        return false;
      }
    }
    return true;
  }

  /**
   * A reference decoding of frames, the last possibly cut short inside its payload: each header
   * without its masking key, followed by the unmasked payload; and whether the last frame is whole.
   */
  private record Decoded(byte[] content, boolean atFrameBoundary) {
    static Decoded of(byte[] frames) {
      ByteArrayOutputStream content = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.wrap(frames);
      boolean whole = true;
      while (in.hasRemaining()) {
        int b0 = in.get() & 0xFF;
        int b1 = in.get() & 0xFF;
        int length7 = b1 & 0x7F;
        long length = length7 == 126 ? in.getShort() & 0xFFFF : length7 == 127 ? in.getLong() : length7;
        byte[] key = new byte[4];
        if ((b1 & 0x80) != 0) {
          in.get(key);
        }
        whole = in.remaining() >= length;
        content.write(b0);
        content.writeBytes(Long.toString(length).getBytes(StandardCharsets.US_ASCII));
        for (long i = 0; i < length && in.hasRemaining(); i++) {
          content.write(in.get() ^ key[(int) (i & 3)]);
        }
      }
      return new Decoded(content.toByteArray(), whole);
    }
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
