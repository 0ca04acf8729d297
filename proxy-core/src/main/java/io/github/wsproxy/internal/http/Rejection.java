package io.github.wsproxy.internal.http;

import java.util.List;

/**
 * An HTTP error the proxy answers a handshake with, and why (for the log); the body is the reason
 * unless an interceptor chose its own.
 *
 * @param headers extra header lines ({@code "Name: value"})
 */
public record Rejection(int status, List<String> headers, String reason, String body) {

  /** A rejection whose body is the status's reason phrase and {@code reason}. */
  public static Rejection of(int status, String reason, String... headers) {
    return new Rejection(status, List.of(headers), reason, HttpResponses.reason(status) + ": " + reason);
  }

  /** The whole response, ready to write; it closes the connection. */
  public byte[] toBytes() {
    return HttpResponses.error(status, headers, body);
  }
}
