package io.github.wsproxy.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpReaderTest {

  private static final String CONTENT_LENGTH = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  private static final String CHUNKED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      + "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
  private static final String NO_BODY = "GET /poll HTTP/1.1\r\nHost: h\r\n\r\n";

  @Test
  void readsKeepAliveMessagesOneAfterTheOther() {
    HttpReader reader = new HttpReader();
    ByteBuffer in = ascii(CONTENT_LENGTH + CHUNKED + NO_BODY);
    assertThat(reader.read(in)).isTrue();
    assertThat(reader.status()).isEqualTo(200);
    assertThat(reader.bodyBytes()).isEqualTo(5);
    assertThat(reader.read(in)).isTrue();
    assertThat(reader.bodyBytes()).isEqualTo(13);
    assertThat(reader.read(in)).isTrue();
    assertThat(reader.startLine()).isEqualTo("GET /poll HTTP/1.1");
    assertThat(reader.bodyBytes()).isZero();
    assertThat(in.hasRemaining()).isFalse();
    assertThat(reader.read(in)).isFalse();
  }

  @Test
  void completesOnlyWithTheLastByteWhateverTheSplit() {
    String stream = CHUNKED + CONTENT_LENGTH;
    for (int size = 1; size <= 7; size++) {
      HttpReader reader = new HttpReader();
      ByteBuffer in = ByteBuffer.allocate(stream.length());
      int completed = 0;
      long[] bodies = new long[2];
      for (int at = 0; at < stream.length(); at += size) {
        in.put(ascii(stream.substring(at, Math.min(stream.length(), at + size))));
        in.flip();
        while (reader.read(in)) {
          bodies[completed++] = reader.bodyBytes();
          assertThat(at + size).as("message %d complete before its last byte", completed)
              .isGreaterThanOrEqualTo(completed == 1 ? CHUNKED.length() : stream.length());
        }
        in.compact();
      }
      assertThat(completed).isEqualTo(2);
      assertThat(bodies).containsExactly(13, 5);
    }
  }

  private static ByteBuffer ascii(String text) {
    return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
  }
}
