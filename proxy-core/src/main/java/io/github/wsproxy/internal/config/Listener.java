package io.github.wsproxy.internal.config;

import io.github.wsproxy.ServerTls;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One address the proxy accepts clients on, plain ({@code tls} null) or TLS.
 *
 * @param address the address to bind; its port may be 0
 * @param tls the certificate served on it, or null for plain {@code ws://}
 */
public record Listener(InetSocketAddress address, ServerTls tls) {
  public Listener {
    Objects.requireNonNull(address, "address");
  }
}
