/**
 * The upstream servers of a started proxy: a pool per upstream group ({@code UpstreamPool}) with
 * each server's running state (connections, passive and active health), the balancers that choose
 * among a tier, the servers one connection tries in order ({@code UpstreamSelection}), the active
 * health checker and the non-blocking address resolver.
 *
 * <p>May depend on the public value types ({@code UpstreamGroup}, {@code Balance}, {@code
 * HealthCheck}, the listener and state types), {@code internal.loop}, {@code internal.tls} and, for
 * the health checker's WebSocket handshake, {@code internal.http} and {@code internal.frame}; not on
 * {@code internal.route}, {@code internal.relay}, {@code internal.config} nor on the engine.
 */
package io.github.wsproxy.internal.upstream;
