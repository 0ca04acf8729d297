package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.http.HttpResponses;
import java.io.IOException;
import java.util.List;

/**
 * An HTTP error the proxy answers a handshake with, and why (for the log); the body is the reason
 * unless an interceptor chose its own.
 */
record Rejection(int status, List<String> headers, String reason, String body) {
  /** What the JDK's message of EMFILE (per process) and of ENFILE (per system) starts with. */
  private static final String TOO_MANY_OPEN_FILES = "Too many open files";

  static Rejection of(int status, String reason, String... headers) {
    return new Rejection(status, List.of(headers), reason, HttpResponses.reason(status) + ": " + reason);
  }

  /**
   * The answer when the proxy could not open a socket to the upstream for lack of file descriptors
   * ({@link #outOfDescriptors}): 503 with {@code Retry-After}, since the proxy is overloaded and
   * the upstream is not at fault (it must not count as a failure of that server).
   */
  static Rejection overloaded(IOException e) {
    return of(503, "out of file descriptors to connect to the upstream: " + e.getMessage(), "Retry-After: 1");
  }

  /** Whether {@code e}, or what caused it, is EMFILE or ENFILE: no file descriptor was left. */
  static boolean outOfDescriptors(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException && t.getMessage() != null && t.getMessage().startsWith(TOO_MANY_OPEN_FILES)) {
        return true;
      }
    }
    return false;
  }

  byte[] toBytes() {
    return HttpResponses.error(status, headers, body);
  }
}
