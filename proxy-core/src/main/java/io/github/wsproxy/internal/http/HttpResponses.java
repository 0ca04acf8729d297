package io.github.wsproxy.internal.http;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** Complete HTTP/1.1 responses the proxy writes itself: errors and the client's 101. */
public final class HttpResponses {
  private HttpResponses() {}

  /**
   * A complete response with a plain-text body that closes the connection.
   *
   * @param extraHeaders header lines without CRLF, e.g. {@code "Upgrade: websocket"}
   */
  public static byte[] error(int status, List<String> extraHeaders, String body) {
    byte[] content = (body + "\n").getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder(160)
        .append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n")
        .append("Content-Type: text/plain; charset=utf-8\r\n")
        .append("Content-Length: ").append(content.length).append("\r\n")
        .append("Connection: close\r\n");
    for (String line : extraHeaders) {
      head.append(line).append("\r\n");
    }
    head.append("\r\n");
    byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[headBytes.length + content.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(content, 0, all, headBytes.length, content.length);
    return all;
  }

  /** {@code head} (a complete head, ending with an empty line) with one more field line (without CRLF) at its end. */
  public static byte[] withField(byte[] head, String line) {
    byte[] field = (line + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = Arrays.copyOf(head, head.length + field.length);
    System.arraycopy(field, 0, all, head.length - 2, field.length);
    all[all.length - 2] = '\r';
    all[all.length - 1] = '\n';
    return all;
  }

  /** The standard reason phrase of a status the proxy may send or relay. */
  public static String reason(int status) {
    switch (status) {
      case 101: return "Switching Protocols";
      case 400: return "Bad Request";
      case 401: return "Unauthorized";
      case 403: return "Forbidden";
      case 404: return "Not Found";
      case 405: return "Method Not Allowed";
      case 408: return "Request Timeout";
      case 413: return "Content Too Large";
      case 426: return "Upgrade Required";
      case 429: return "Too Many Requests";
      case 431: return "Request Header Fields Too Large";
      case 500: return "Internal Server Error";
      case 502: return "Bad Gateway";
      case 503: return "Service Unavailable";
      case 504: return "Gateway Timeout";
      default: return status < 500 ? "Client Error" : "Server Error";
    }
  }
}
