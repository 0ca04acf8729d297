package io.github.wsproxy.internal.http;

import java.io.IOException;
import java.util.List;

/**
 * An HTTP error the proxy answers a handshake with, and why (for the log); the body is the reason
 * unless an interceptor chose its own.
 *
 * @param headers extra header lines ({@code "Name: value"})
 */
public record Rejection(int status, List<String> headers, String reason, String body) {
  /** What the JDK's message of EMFILE (per process) and of ENFILE (per system) starts with. */
  private static final String TOO_MANY_OPEN_FILES = "Too many open files";

  /** A rejection whose body is the status's reason phrase and {@code reason}. */
  public static Rejection of(int status, String reason, String... headers) {
    return new Rejection(status, List.of(headers), reason, HttpResponses.reason(status) + ": " + reason);
  }

  /**
   * The answer when the proxy could not open a socket to the upstream for lack of file descriptors
   * ({@link #outOfDescriptors}): 503 with {@code Retry-After}, since the proxy is overloaded and
   * the upstream is not at fault (it must not count as a failure of that server).
   */
  public static Rejection overloaded(IOException e) {
    return of(503, "out of file descriptors to connect to the upstream: " + e.getMessage(), "Retry-After: 1");
  }

  /** Whether {@code e}, or what caused it, is EMFILE or ENFILE: no file descriptor was left. */
  public static boolean outOfDescriptors(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException && t.getMessage() != null && t.getMessage().startsWith(TOO_MANY_OPEN_FILES)) {
        return true;
      }
    }
    return false;
  }

  /** The whole response, ready to write; it closes the connection. */
  public byte[] toBytes() {
    return HttpResponses.error(status, headers, body);
  }
}
