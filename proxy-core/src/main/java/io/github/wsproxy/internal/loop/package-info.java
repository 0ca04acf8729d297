/**
 * The event loop everything in a started proxy runs on, and the transport seam under it. {@code
 * EventLoop} (one thread, its tasks, timers, clock and per-tick callbacks, and its buffer pool)
 * runs on a {@code Transport}, one loop's I/O multiplexer, opened by a {@code TransportProvider}
 * that also binds listen sockets ({@code Listening}); sockets are {@code Conduit}s (connected by
 * the transport, or {@code Accepted} and then adopted by a loop's transport), whose {@code
 * Readiness} handler hears their ready {@code OP_*} bits; {@code Handlers} isolates a handler's
 * failure. {@code Transports} resolves the {@code IoTransport} setting: the NIO transport here
 * ({@code NioTransportProvider}, {@code NioTransport}, a selector; {@code NioConduit}, {@code
 * NioListening}, {@code NioAccepted}), or the io_uring one of {@code internal.uring}, loaded by name
 * on Java 22+ only. {@code BufferPool} recycles direct buffers within a loop.
 *
 * <p>The bottom of the engine: depends on the JDK, on {@code internal.frame} (the per-loop masking
 * helper the loop hands to its connections), on the public {@code IoTransport} setting and on
 * {@code internal.config}'s {@code AutoOverride} (the system property overriding AUTO) only;
 * never on the packages that run on it. Only the {@code Nio*} classes touch {@code
 * java.nio.channels}' selectable channels.
 */
package io.github.wsproxy.internal.loop;
