/**
 * The io_uring transport of the event loops (Linux 6.1+, Java 22+): {@code UringTransportProvider}
 * (checks that io_uring runs here, opens one {@code UringTransport} per loop), {@code UringTransport}
 * (a ring, its completions turned into level-triggered readiness), {@code UringConduit} and {@code
 * UringListening} (sockets on it), {@code Ring}, {@code BufferRing}, {@code Native} and {@code
 * SocketAddresses} (the kernel and C library through the JDK's native linker).
 *
 * <p>Compiled to Java 22 class files from {@code src/main/java22} and loaded reflectively by {@code
 * internal.loop.Transports} on a Java 22+ runtime only. Depends on {@code internal.loop} (the
 * transport contract) and the JDK only.
 */
package io.github.wsproxy.internal.uring;
