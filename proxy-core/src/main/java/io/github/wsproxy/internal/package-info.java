/**
 * The engine: {@code ProxyServer}, what a started proxy is. It owns the listen socket and the event
 * loops, creates the shared parts (routing, client limits, TLS contexts, the upstream resolver)
 * from the proxy's settings, hands accepted connections to the loops, and carries out the facade's
 * runtime admin (reconfigure, snapshots, closing one connection, shutdown).
 *
 * <p>Used by the public facade only. May depend on every package under {@code internal} and on the
 * public value types; never on the facade {@code WsProxy}.
 */
package io.github.wsproxy.internal;
