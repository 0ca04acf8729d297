package io.github.wsproxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Parses heads for the tests of this package: written as text with {@code \n} line ends, or as the proxy wrote them. */
final class Heads {
  private Heads() {}

  static HttpHead request(String lines) throws MalformedHttpException {
    return parse(lines, false);
  }

  static HttpHead response(String lines) throws MalformedHttpException {
    return parse(lines, true);
  }

  static HttpHead parse(String lines, boolean response) throws MalformedHttpException {
    byte[] bytes = (lines.replace("\n", "\r\n") + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    return HttpHead.parse(bytes, bytes.length, response);
  }

  /** Parses a head the proxy wrote: it must be one complete head, exactly, and well formed. */
  static HttpHead reparse(byte[] bytes, boolean response) throws MalformedHttpException {
    HeadReader reader = new HeadReader(Integer.MAX_VALUE - 4096);
    assertThat(reader.append(ByteBuffer.wrap(bytes))).as("a complete head").isTrue();
    assertThat(reader.remainder()).as("nothing after the head").isEmpty();
    return reader.parse(response);
  }
}
