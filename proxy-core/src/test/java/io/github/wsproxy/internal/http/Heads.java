package io.github.wsproxy.internal.http;

import java.nio.charset.StandardCharsets;

/** Parses heads written as text with {@code \n} line ends, for the tests of this package. */
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
}
