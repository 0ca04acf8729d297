package io.github.wsproxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.internal.http.BodyFraming.Kind;
import io.github.wsproxy.internal.http.BodyScanner.Stop;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Following bodies as they stream through: where they end, what is relayed, what is refused. */
class BodyScannerTest {
  private static final BodyFraming CHUNKED = new BodyFraming(Kind.CHUNKED, -1);

  @Test
  void fixedLengthBodyEndsAfterItsLengthAndLeavesTheNextMessage() {
    BodyScanner scanner = new BodyScanner(new BodyFraming(Kind.LENGTH, 5), 0, 1024, false);
    ByteBuffer buf = bytes("abcGET /");
    assertThat(scanner.scan(buf, 0, 3)).isEqualTo(3);
    assertThat(scanner.stop()).isEqualTo(Stop.NEED_MORE);
    buf = bytes("deGET / HTTP/1.1");
    assertThat(scanner.scan(buf, 0, buf.limit())).isEqualTo(2);
    assertThat(scanner.relayEnd()).isEqualTo(2);
    assertThat(scanner.done()).isTrue();
    assertThat(scanner.contentBytes()).isEqualTo(5);
    assertThat(scanner.wireBytes()).isEqualTo(5);
  }

  @Test
  void emptyBodiesAreDoneBeforeAnyByte() {
    assertThat(new BodyScanner(new BodyFraming(Kind.NONE, -1), 0, 1024, false).done()).isTrue();
    assertThat(new BodyScanner(new BodyFraming(Kind.LENGTH, 0), 0, 1024, false).done()).isTrue();
    BodyScanner none = new BodyScanner(new BodyFraming(Kind.NONE, -1), 0, 1024, false);
    assertThat(none.scan(bytes("GET /"), 0, 5)).as("nothing belongs to a missing body").isEqualTo(0);
  }

  @Test
  void bodyCutShortIsNotComplete() {
    BodyScanner scanner = new BodyScanner(new BodyFraming(Kind.LENGTH, 5), 0, 1024, false);
    scanner.scan(bytes("abc"), 0, 3);
    assertThat(scanner.endOfInput()).isFalse();
    BodyScanner chunked = new BodyScanner(CHUNKED, 0, 1024, false);
    chunked.scan(bytes("3\r\nabc\r\n"), 0, 8);
    assertThat(chunked.endOfInput()).as("no last chunk").isFalse();
  }

  @Test
  void untilCloseBodyEndsWithTheInput() {
    BodyScanner scanner = new BodyScanner(new BodyFraming(Kind.UNTIL_CLOSE, -1), 0, 1024, false);
    assertThat(scanner.scan(bytes("data: 1\n\n"), 0, 9)).isEqualTo(9);
    assertThat(scanner.done()).isFalse();
    assertThat(scanner.endOfInput()).isTrue();
    assertThat(scanner.done()).isTrue();
    assertThat(scanner.contentBytes()).isEqualTo(9);
  }

  @Test
  void chunkedBodyIsRelayedAsItIsWithExtensionsAndTrailers() {
    String body = "5;name=\"v\"\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nExpires: never\r\nX-Sum:  1 \r\n\r\n";
    Result result = scanInPieces(CHUNKED, body + "NEXT", 1, false);
    assertThat(result.stop).isEqualTo(Stop.DONE);
    assertThat(result.relayed).isEqualTo(body);
    assertThat(result.contentBytes).isEqualTo(31);
    assertThat(result.wireBytes).isEqualTo(body.length());
  }

  @Test
  void everyCutOfAChunkedBodyGivesTheSameResult() {
    String body = "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n";
    for (int piece = 1; piece <= body.length(); piece++) {
      Result result = scanInPieces(CHUNKED, body + "X", piece, false);
      assertThat(result.stop).as("piece %d", piece).isEqualTo(Stop.DONE);
      assertThat(result.relayed).as("piece %d", piece).isEqualTo(body);
    }
  }

  @Test
  void strippingChunksLeavesTheContentOnlyMovedInPlace() {
    String body = "5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nTrailer-Field: dropped\r\n\r\n";
    for (int piece = 1; piece <= body.length(); piece++) {
      Result result = scanInPieces(CHUNKED, body, piece, true);
      assertThat(result.stop).as("piece %d", piece).isEqualTo(Stop.DONE);
      assertThat(result.relayed).as("piece %d", piece).isEqualTo("hello world");
    }
  }

  @Test
  void badChunkSizesAreRefused() {
    assertMalformed("x\r\n", "malformed chunk size");
    assertMalformed("-1\r\n", "malformed chunk size");
    assertMalformed("0x5\r\nhello\r\n0\r\n\r\n", "malformed chunk size");
    assertMalformed(" 5\r\nhello\r\n0\r\n\r\n", "malformed chunk size");
    assertMalformed("5 \r\nhello\r\n0\r\n\r\n", "malformed chunk size");
    assertMalformed("\r\n", "malformed chunk size");
    assertMalformed("8000000000000000\r\n", "chunk size too large");
    assertMalformed("1".repeat(BodyScanner.MAX_LINE_BYTES + 1) + "\r\n", "chunk size too large");
    assertMalformed("0".repeat(BodyScanner.MAX_LINE_BYTES + 1) + "\r\n", "chunk size line too long");
    assertMalformed("5;" + "a".repeat(BodyScanner.MAX_LINE_BYTES) + "\r\nhello\r\n0\r\n\r\n", "chunk size line too long");
  }

  @Test
  void chunkExtensionsFollowTheGrammar() {
    String data = "\r\nhello\r\n0\r\n\r\n";
    for (String ext : new String[] {";a", ";a=b", ";a=\"b c;\\\"\"", " ;a", "\t; a = b ;c", ";a=b;c=\"\"", ";a=\"\u00e9\""}) {
      assertThat(scanInPieces(CHUNKED, "5" + ext + data, 1, false).stop).as(ext).isEqualTo(Stop.DONE);
    }
    for (String ext : new String[] {";", ";=b", "; ", ";a ", ";a=", ";a=b ", ";a=\"b", ";a=\"b\"c", ";a b", ";a=b c",
        ";a=\"\u0001\"", ";a=\"\\\u0001\"", ";\u0080", ";a;", ";a=b\rc"}) {
      Result result = scanInPieces(CHUNKED, "5" + ext + data, 1, false);
      assertThat(result.stop).as(ext).isEqualTo(Stop.MALFORMED);
      assertThat(result.error).as(ext).isIn("malformed chunk extension", "bare CR in chunk size line");
    }
  }

  @Test
  void largestChunkSizeIsAccepted() {
    BodyScanner scanner = new BodyScanner(CHUNKED, 0, 1024, false);
    scanner.scan(bytes("7fffffffffffffff\r\nab"), 0, 20);
    assertThat(scanner.stop()).isEqualTo(Stop.NEED_MORE);
    assertThat(scanner.contentBytes()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void bareCrOrLfAnywhereInTheFramingIsRefused() {
    assertMalformed("5\nhello\r\n0\r\n\r\n", "malformed chunk size");
    assertMalformed("5\rhello\r\n0\r\n\r\n", "bare CR in chunk size line");
    assertMalformed("5;a\nb\r\nhello\r\n0\r\n\r\n", "malformed chunk extension");
    assertMalformed("5\r\nhello\n0\r\n\r\n", "chunk data longer than its size");
    assertMalformed("5\r\nhello\r0\r\n\r\n", "bare CR after chunk data");
    assertMalformed("0\r\nA: b\nC: d\r\n\r\n", "invalid character in trailer field");
    assertMalformed("0\r\nA: b\rC: d\r\n\r\n", "bare CR in trailer section");
    assertMalformed("0\r\n\n", "malformed trailer field");
    assertMalformed("0\r\n\r\r\n", "bare CR after the last chunk");
  }

  @Test
  void chunkDataLongerThanItsSizeIsRefused() {
    assertMalformed("2\r\nabc\r\n0\r\n\r\n", "chunk data longer than its size");
  }

  @Test
  void nulAndObsFoldAndBadNamesInTrailersAreRefused() {
    assertMalformed("0\r\nA: b\0c\r\n\r\n", "invalid character in trailer field");
    assertMalformed("5;a\0\r\nhello\r\n0\r\n\r\n", "malformed chunk extension");
    assertMalformed("0\r\nA: b\r\n c\r\n\r\n", "obs-fold in trailer section");
    assertMalformed("0\r\nA b: c\r\n\r\n", "malformed trailer field");
    assertMalformed("0\r\n: c\r\n\r\n", "malformed trailer field");
  }

  @Test
  void trailerSectionIsBounded() {
    BodyScanner scanner = new BodyScanner(CHUNKED, 0, 64, false);
    String body = "0\r\nA: " + "x".repeat(80) + "\r\n\r\n";
    scanner.scan(bytes(body), 0, body.length());
    assertThat(scanner.stop()).isEqualTo(Stop.MALFORMED);
    assertThat(scanner.error()).isEqualTo("trailer section too long");
  }

  @Test
  void violationRelaysNothingFromTheOffendingLine() {
    BodyScanner scanner = new BodyScanner(CHUNKED, 0, 1024, false);
    String body = "3\r\nabc\r\n4;bad\u0001\r\n";
    int end = scanner.scan(bytes(body), 0, body.length());
    assertThat(scanner.stop()).isEqualTo(Stop.MALFORMED);
    assertThat(end).isEqualTo(8);
    assertThat(scanner.relayEnd()).isEqualTo(8);
  }

  @Test
  void chunkTakingTheContentOverTheLimitIsRefusedBeforeItIsRelayed() {
    BodyScanner scanner = new BodyScanner(CHUNKED, 10, 1024, false);
    String body = "6\r\nabcdef\r\n4\r\nghij\r\n1\r\nk\r\n0\r\n\r\n";
    int end = scanner.scan(bytes(body), 0, body.length());
    assertThat(scanner.stop()).isEqualTo(Stop.TOO_LARGE);
    assertThat(end).as("the 11th byte's chunk starts here").isEqualTo(body.indexOf("1\r\nk"));
    assertThat(scanner.relayEnd()).isEqualTo(end);
    assertThat(scanner.contentBytes()).isEqualTo(10);
  }

  @Test
  void chunkedBodyExactlyAtTheLimitPasses() {
    Result result = scanInPieces(new BodyFraming(Kind.CHUNKED, -1), "6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n", 3, false, 10);
    assertThat(result.stop).isEqualTo(Stop.DONE);
    assertThat(result.contentBytes).isEqualTo(10);
  }

  @Test
  void hugeChunkIsSkippedWithoutLookingAtItsBytes() {
    BodyScanner scanner = new BodyScanner(CHUNKED, 0, 1024, false);
    ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
    byte[] head = "40000000\r\n".getBytes(StandardCharsets.US_ASCII);
    buf.put(0, head);
    assertThat(scanner.scan(buf, 0, buf.capacity())).isEqualTo(buf.capacity());
    long chunk = 0x40000000L;
    long left = chunk - (buf.capacity() - head.length);
    while (left > buf.capacity()) {
      assertThat(scanner.scan(buf, 0, buf.capacity())).isEqualTo(buf.capacity());
      left -= buf.capacity();
    }
    buf.put(0, new byte[(int) left]);
    buf.put((int) left, "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    scanner.scan(buf, 0, (int) left + 7);
    assertThat(scanner.done()).isTrue();
    assertThat(scanner.contentBytes()).isEqualTo(chunk);
  }

  @Test
  void scanLeavesPositionAndLimitAlone() {
    BodyScanner scanner = new BodyScanner(CHUNKED, 0, 1024, true);
    ByteBuffer buf = bytes("xx3\r\nabc\r\n0\r\n\r\n");
    buf.position(1);
    scanner.scan(buf, 2, buf.capacity());
    assertThat(buf.position()).isEqualTo(1);
    assertThat(buf.limit()).isEqualTo(buf.capacity());
    assertThat(scanner.relayEnd()).isEqualTo(5);
  }

  private static void assertMalformed(String body, String error) {
    for (int piece : new int[] {body.length(), 1}) {
      Result result = scanInPieces(CHUNKED, body, piece, false);
      assertThat(result.stop).as("%s in pieces of %d", body, piece).isEqualTo(Stop.MALFORMED);
      assertThat(result.error).as(body).isEqualTo(error);
    }
  }

  private record Result(Stop stop, String relayed, long contentBytes, long wireBytes, String error) {}

  private static Result scanInPieces(BodyFraming framing, String input, int piece, boolean strip) {
    return scanInPieces(framing, input, piece, strip, 0);
  }

  /** Scans {@code input} cut into reads of {@code piece} bytes, each at an offset in a bigger buffer. */
  private static Result scanInPieces(BodyFraming framing, String input, int piece, boolean strip, long limit) {
    BodyScanner scanner = new BodyScanner(framing, limit, 1024, strip);
    byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
    ByteArrayOutputStream relayed = new ByteArrayOutputStream();
    for (int offset = 0; offset < bytes.length && scanner.stop() == Stop.NEED_MORE; offset += piece) {
      int n = Math.min(piece, bytes.length - offset);
      ByteBuffer buf = ByteBuffer.allocate(n + 8);
      buf.put(4, bytes, offset, n);
      scanner.scan(buf, 4, 4 + n);
      byte[] out = new byte[scanner.relayEnd() - 4];
      buf.get(4, out);
      relayed.writeBytes(out);
    }
    return new Result(scanner.stop(), relayed.toString(StandardCharsets.ISO_8859_1), scanner.contentBytes(),
        scanner.wireBytes(), scanner.error());
  }

  private static ByteBuffer bytes(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
  }
}
