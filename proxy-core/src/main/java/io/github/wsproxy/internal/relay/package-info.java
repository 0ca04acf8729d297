/**
 * The connections of the proxy: one {@link io.github.wsproxy.internal.relay.ConnectionPair} per
 * client, from its first byte to the last close, on one event loop.
 *
 * <p>A pair moves through phases, each a {@code Phase} owning its own state:
 * {@code ClientHandshake} (TLS, the request head, the route, the handshake hooks), then
 * {@code UpstreamConnection} (connect, TLS, retries and failover, the upstream's answer), then
 * {@code OpenRelay} (two {@code Relay}s, the close handshake); a failed handshake ends in
 * {@code Responding}. A plain HTTP request goes from {@code UpstreamConnection} to {@code
 * HttpExchange} (both bodies streamed), then back to {@code ClientHandshake} for the client's next
 * request on a kept-alive connection; {@code UpstreamKeepAlive} holds a loop's idle upstream
 * connections between exchanges. {@code Timers} owns every deadline and the keepalive, {@code
 * ConnectionReport} the access log, the listener's events, traffic counts, the admin snapshot and
 * the MDC. {@code Leg} is one socket; {@code MessagePipeline} decodes a direction the interceptors
 * watch. {@code LoopConnections} holds the pairs of one loop.
 *
 * <p>May depend on {@code internal.frame}, {@code internal.http}, {@code internal.intercept},
 * {@code internal.limits}, {@code internal.loop}, {@code internal.route}, {@code internal.tls},
 * {@code internal.upstream} and the public API types; nothing in those depends on it.
 */
package io.github.wsproxy.internal.relay;
