package io.github.wsproxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.wsproxy.internal.http.BodyFraming.Kind;
import io.github.wsproxy.internal.http.BodyScanner.Stop;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Coverage-guided fuzz test of {@link BodyScanner}: an arbitrary body is scanned in one piece and
 * again cut into arbitrary reads, each placed between guard bytes in a direct buffer. Both runs must
 * agree on the verdict and on what is relayed, the scanner must only relay bytes it was given (or,
 * stripping chunks, exactly their content), never touch bytes outside the scanned range, respect the
 * content limit, and a body it accepted must be accepted again, whole, when scanned as relayed.
 *
 * <p>Input layout: byte 0 holds the flags (bits 0-1: the framing, LENGTH, CHUNKED, UNTIL_CLOSE or
 * NONE; bit 2: strip chunks; bits 3-4: the content limit), byte 1 the declared length of a LENGTH
 * body, byte 2 the number of cuts (low 4 bits), then one byte per cut, the length of that read; the
 * rest is the body, whose last read takes what remains. Regression inputs: {@code
 * src/test/resources/.../BodyScannerFuzzTestInputs/body}.
 */
class BodyScannerFuzzTest {
  private static final Kind[] KINDS = {Kind.LENGTH, Kind.CHUNKED, Kind.UNTIL_CLOSE, Kind.NONE};
  private static final long[] LIMITS = {0, 16, 1024, Long.MAX_VALUE};
  private static final int MAX_TRAILER_BYTES = 64;
  private static final int GUARD = 16;
  private static final byte GUARD_BYTE = (byte) 0xA5;

  @FuzzTest(maxDuration = "10s")
  void body(byte[] input) {
    if (input.length < 3) {
      return;
    }
    int flags = input[0];
    Kind kind = KINDS[flags & 3];
    boolean strip = (flags & 4) != 0;
    long limit = LIMITS[(flags >> 3) & 3];
    BodyFraming framing = new BodyFraming(kind, kind == Kind.LENGTH ? input[1] & 0xFF : -1);
    int cuts = Math.min(input[2] & 0xF, input.length - 3);
    int[] reads = new int[cuts];
    for (int i = 0; i < cuts; i++) {
      reads[i] = input[3 + i] & 0xFF;
    }
    byte[] body = Arrays.copyOfRange(input, 3 + cuts, input.length);

    Outcome whole = run(framing, body, new int[0], strip, limit);
    Outcome split = run(framing, body, reads, strip, limit);

    assertThat(split.stop).as("verdict").isEqualTo(whole.stop);
    assertThat(split.error).as("error").isEqualTo(whole.error);
    assertThat(split.contentBytes).as("content bytes").isEqualTo(whole.contentBytes);
    if (whole.stop == Stop.MALFORMED || whole.stop == Stop.TOO_LARGE) {
      // Part of the offending line may have gone out in an earlier read, never anything after it.
      assertThat(startsWith(split.relayed, whole.relayed)).as("relayed before the violation").isTrue();
      assertThat(split.consumed).isGreaterThanOrEqualTo(whole.consumed);
    } else {
      assertThat(split.relayed).as("relayed").isEqualTo(whole.relayed);
      assertThat(split.consumed).as("consumed").isEqualTo(whole.consumed);
    }
    assertThat(whole.stop == Stop.TOO_LARGE).as("only a chunked body over a limit is too large")
        .isEqualTo(whole.stop == Stop.TOO_LARGE && kind == Kind.CHUNKED && limit > 0);
    if (kind == Kind.CHUNKED && limit > 0) {
      assertThat(whole.contentBytes).as("content within the limit").isLessThanOrEqualTo(limit);
    }
    byte[] consumed = Arrays.copyOf(body, whole.consumed);
    if (!strip || kind != Kind.CHUNKED) {
      assertThat(startsWith(consumed, whole.relayed)).as("relayed bytes are the input's").isTrue();
      if (whole.stop != Stop.MALFORMED && whole.stop != Stop.TOO_LARGE) {
        assertThat(whole.relayed).as("everything consumed is relayed").isEqualTo(consumed);
      }
    }
    if (kind == Kind.CHUNKED && whole.stop == Stop.DONE) {
      byte[] content = strip ? whole.relayed : run(framing, consumed, new int[0], true, 0).relayed;
      assertThat(content).as("content").isEqualTo(Reference.decode(consumed));
      Outcome again = run(framing, consumed, new int[0], false, limit);
      assertThat(again.stop).as("a relayed body is accepted again").isEqualTo(Stop.DONE);
      assertThat(again.consumed).isEqualTo(consumed.length);
    }
  }

  private record Outcome(Stop stop, String error, byte[] relayed, int consumed, long contentBytes) {}

  private static Outcome run(BodyFraming framing, byte[] body, int[] reads, boolean strip, long limit) {
    BodyScanner scanner = new BodyScanner(framing, limit, MAX_TRAILER_BYTES, strip);
    ByteArrayOutputStream relayed = new ByteArrayOutputStream();
    ByteBuffer buf = ByteBuffer.allocateDirect(GUARD + body.length + GUARD);
    int offset = 0;
    int consumed = 0;
    for (int read = 0; read <= reads.length && scanner.stop() == Stop.NEED_MORE; read++) {
      int n = read < reads.length ? Math.min(reads[read], body.length - offset) : body.length - offset;
      for (int i = 0; i < buf.capacity(); i++) {
        buf.put(i, GUARD_BYTE);
      }
      buf.put(GUARD, body, offset, n);
      int from = GUARD;
      int to = GUARD + n;

      int end = scanner.scan(buf, from, to);

      assertThat(end).as("returned index").isBetween(from, to);
      assertThat(scanner.relayEnd()).as("relay end").isBetween(from, end);
      if (scanner.stop() == Stop.NEED_MORE) {
        assertThat(end).as("a body going on takes every byte").isEqualTo(to);
      }
      for (int i = 0; i < GUARD; i++) {
        assertThat(buf.get(i)).as("guard before").isEqualTo(GUARD_BYTE);
        assertThat(buf.get(to + i)).as("guard after").isEqualTo(GUARD_BYTE);
      }
      byte[] out = new byte[scanner.relayEnd() - from];
      buf.get(from, out);
      relayed.writeBytes(out);
      offset += n;
      consumed += end - from;
    }
    assertThat(scanner.wireBytes()).as("wire bytes").isEqualTo(consumed);
    return new Outcome(scanner.stop(), scanner.error(), relayed.toByteArray(), consumed, scanner.contentBytes());
  }

  /** A plain decoder of a chunked body already known to be valid: the content of its chunks. */
  private static final class Reference {
    static byte[] decode(byte[] chunked) {
      String text = new String(chunked, StandardCharsets.ISO_8859_1);
      ByteArrayOutputStream content = new ByteArrayOutputStream();
      int at = 0;
      while (true) {
        int eol = text.indexOf("\r\n", at);
        String sizeLine = text.substring(at, eol);
        int sizeEnd = 0;
        while (sizeEnd < sizeLine.length() && Character.digit(sizeLine.charAt(sizeEnd), 16) >= 0) {
          sizeEnd++;
        }
        long size = Long.parseUnsignedLong(sizeLine.substring(0, sizeEnd), 16);
        if (size == 0) {
          return content.toByteArray();
        }
        content.write(chunked, eol + 2, (int) size);
        at = eol + 2 + (int) size + 2;
      }
    }
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
  }
}
