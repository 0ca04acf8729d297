package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.http.HttpResponses;
import java.util.List;

/**
 * An HTTP error the proxy answers a handshake with, and why (for the log); the body is the reason
 * unless an interceptor chose its own.
 */
record Rejection(int status, List<String> headers, String reason, String body) {

  static Rejection of(int status, String reason, String... headers) {
    return new Rejection(status, List.of(headers), reason, HttpResponses.reason(status) + ": " + reason);
  }

  byte[] toBytes() {
    return HttpResponses.error(status, headers, body);
  }
}
