/**
 * HTTP/1.1 heads and the WebSocket handshake: {@code HeadReader} (gathers a head arriving in pieces,
 * up to a limit) and {@code HttpHead} (parses it), {@code HandshakeTranslator} (checks a client's
 * upgrade request and rewrites the heads between the legs), {@code Rejection} and
 * {@code HttpResponses} (the error answers the proxy writes itself), {@code WebSocketKeys}
 * ({@code Sec-WebSocket-Key} and {@code -Accept}), {@code MalformedHttpException} and
 * {@code BadUpstreamException} (a head the proxy cannot parse or relay).
 *
 * <p>Bytes in, bytes out: no sockets and no event loop. Depends on the JDK, on {@code internal.limits}
 * (the trusted proxies' address ranges) and on the configuration {@code HandshakeTranslator} reads;
 * never on {@code relay}, {@code frame} or {@code loop}. Used by the relay, the
 * interceptors' handshake, the upstream pool and its health checker.
 */
package io.github.wsproxy.internal.http;
