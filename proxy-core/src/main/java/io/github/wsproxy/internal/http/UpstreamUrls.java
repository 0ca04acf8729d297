package io.github.wsproxy.internal.http;

import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.util.Locale;

/**
 * What the proxy reads from an upstream server's URL: {@code ws://host[:port][/prefix]}, {@code
 * wss://...}, or a UNIX domain socket as {@code ws+unix:/path/to/app.sock[:/prefix]} (nginx's
 * {@code http://unix:/path/to/app.sock:/prefix}): the socket's file path, then optionally a colon
 * and the path prefix of every request.
 */
public final class UpstreamUrls {
  /** The scheme of a plain WebSocket upstream on a UNIX domain socket. */
  public static final String UNIX_SCHEME = "ws+unix";

  private UpstreamUrls() {}

  /** Whether the URL names a UNIX domain socket. */
  public static boolean isUnixSocket(URI url) {
    return UNIX_SCHEME.equals(url.getScheme() == null ? null : url.getScheme().toLowerCase(Locale.ROOT));
  }

  /** The socket address of a {@code ws+unix:} URL. */
  public static UnixDomainSocketAddress unixSocket(URI url) {
    String path = url.getPath();
    int colon = path.indexOf(':');
    return UnixDomainSocketAddress.of(colon < 0 ? path : path.substring(0, colon));
  }

  /** The path every request target is put behind (raw, possibly empty or null). */
  public static String pathPrefix(URI url) {
    if (!isUnixSocket(url)) {
      return url.getRawPath();
    }
    String path = url.getRawPath();
    int colon = path.indexOf(':');
    return colon < 0 ? "" : path.substring(colon + 1);
  }

  /**
   * The {@code Host} the upstream gets when the client's is not preserved: host and port unless
   * the port is the scheme's default; {@code localhost} for a UNIX domain socket, as nginx sends.
   */
  public static String authority(URI url) {
    if (isUnixSocket(url)) {
      return "localhost";
    }
    int port = url.getPort();
    String host = url.getHost();
    int defaultPort = "wss".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
    return port < 0 || port == defaultPort ? host : host + ":" + port;
  }
}
