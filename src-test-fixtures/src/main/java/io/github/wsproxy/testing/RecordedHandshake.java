package io.github.wsproxy.testing;

import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An opening handshake request as a {@link TestUpstream} received it.
 *
 * @param resource the request target: path and query, as sent (e.g. {@code /chat?room=1})
 * @param headers the headers by lowercased name, in wire order; repeated headers are joined with
 *     ", " (see {@link #request()} for the exact list)
 * @param remote the address the request came from (the proxy's side of the upstream connection)
 * @param request the request head exactly as received, with duplicates and spelling kept; null
 *     when built with the three-argument constructor
 */
public record RecordedHandshake(
    String resource, Map<String, String> headers, InetSocketAddress remote, HttpHead request) {

  /**
   * Copies the header map.
   *
   * @param resource the request target: path and query, as sent
   * @param headers the headers by lowercased name
   * @param remote the address the request came from
   * @param request the request head exactly as received, or null
   */
  public RecordedHandshake {
    headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
  }

  /**
   * A handshake without the raw request head.
   *
   * @param resource the request target: path and query, as sent
   * @param headers the headers by lowercased name
   * @param remote the address the request came from
   */
  public RecordedHandshake(String resource, Map<String, String> headers, InetSocketAddress remote) {
    this(resource, headers, remote, null);
  }

  /**
   * The value of a header (case-insensitive), or null if absent.
   *
   * @param name the header's name
   * @return the header's value, or null
   */
  public String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }
}
