package io.github.wsproxy.internal.http;

import io.github.wsproxy.internal.limits.AddressRange;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Set;

/**
 * What a request sent upstream says about where it came from, the same for WebSocket upgrades and
 * plain requests: the target under the upstream's path prefix, {@code Host} (the client's with
 * {@code preserveHost}, else the upstream's authority) and {@code X-Forwarded-For}, {@code
 * -Proto} and {@code -Host}, which extend a client's own values only when the client is a trusted
 * proxy and are replaced otherwise.
 *
 * <p>Immutable; one instance per configuration, shared by every connection.
 */
public final class Forwarding {

  /** Lower-cased names of the fields the proxy writes itself and never copies from the client. */
  public static final Set<String> REWRITTEN = Set.of("host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host");

  private final boolean preserveHost;
  private final boolean tlsListener;
  private final List<AddressRange> trustedProxies;

  /**
   * @param preserveHost send the client's {@code Host} upstream instead of the upstream's authority
   * @param tlsListener clients connect with TLS: {@code X-Forwarded-Proto: https}
   * @param trustedProxies peers whose forwarding headers are extended rather than replaced
   */
  public Forwarding(boolean preserveHost, boolean tlsListener, List<AddressRange> trustedProxies) {
    this.preserveHost = preserveHost;
    this.tlsListener = tlsListener;
    this.trustedProxies = List.copyOf(trustedProxies);
  }

  /**
   * Appends the {@code Host} line. A request without {@code Host} (HTTP/1.0) gets the upstream's.
   */
  public void appendHost(StringBuilder out, HttpHead client, URI upstream) {
    String clientHost = client.value("host");
    out.append("Host: ").append(preserveHost && clientHost != null ? clientHost : UpstreamUrls.authority(upstream)).append("\r\n");
  }

  /** Appends the {@code X-Forwarded-For}, {@code -Proto} and {@code -Host} lines. */
  public void appendForwardedFields(StringBuilder out, HttpHead client, InetSocketAddress clientAddress) {
    boolean trusted = isTrustedProxy(clientAddress);
    List<String> priorForwarded = trusted ? client.elements("x-forwarded-for") : List.of();
    String clientIp = clientAddress.getAddress().getHostAddress();
    String proto = trusted ? client.value("x-forwarded-proto") : null;
    String forwardedHost = trusted ? client.value("x-forwarded-host") : null;
    if (forwardedHost == null) {
      forwardedHost = client.value("host");
    }
    out.append("X-Forwarded-For: ")
        .append(priorForwarded.isEmpty() ? clientIp : String.join(", ", priorForwarded) + ", " + clientIp)
        .append("\r\n")
        .append("X-Forwarded-Proto: ").append(proto != null ? proto : tlsListener ? "https" : "http").append("\r\n");
    if (forwardedHost != null) {
      out.append("X-Forwarded-Host: ").append(forwardedHost).append("\r\n");
    }
  }

  /** The request target upstream: {@code target} (path and query) under the upstream URI's path. */
  public static String upstreamTarget(String prefix, String target) {
    if (prefix == null || prefix.isEmpty() || prefix.equals("/")) {
      return target;
    }
    return prefix.endsWith("/") ? prefix + target.substring(1) : prefix + target;
  }

  private boolean isTrustedProxy(InetSocketAddress peer) {
    for (AddressRange range : trustedProxies) {
      if (range.contains(peer.getAddress())) {
        return true;
      }
    }
    return false;
  }

}
