/**
 * The WebSocket wire format (RFC 6455): {@code WebSocketProtocol} (opcodes, close codes and the bits
 * of a frame header, in one place), {@code FrameHeader} (the one decoder of a frame header),
 * {@code FrameScanner} (checks and re-masks one direction's frames in place as they stream through),
 * {@code FrameEncoder} and {@code CloseFrames} (the frames the proxy writes itself), {@code Masking}
 * (mask keys and the XOR) and {@code Utf8Validator} (incremental UTF-8 checks of text messages).
 *
 * <p>Depends on the JDK only: no sockets, no configuration, no event loop. Used by the relay, the
 * event loop (its {@code Masking}), the health checker (its close frame), and for the close code
 * check by the interceptors' connection handle and the public facade.
 */
package io.github.wsproxy.internal.frame;
