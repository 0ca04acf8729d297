/**
 * Admission of clients: {@code ClientLimits} (connections in total and per address, handshakes per
 * second per address, shared by every event loop) and {@code AddressRange} (an IP address or CIDR
 * block, for the trusted proxies).
 *
 * <p>Depends on the JDK only; used by the engine, the connection pairs and {@code internal.config}.
 */
package io.github.wsproxy.internal.limits;
