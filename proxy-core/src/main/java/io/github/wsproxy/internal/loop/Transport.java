package io.github.wsproxy.internal.loop;

import java.io.Closeable;
import java.io.IOException;
import java.net.SocketAddress;

/**
 * One event loop's I/O multiplexer: NIO's selector, or an io_uring ring. Every method but {@link
 * #wakeup} is called on the loop's thread.
 */
public interface Transport extends Closeable {
  /**
   * Waits until some registered conduit is ready, {@link #wakeup} is called, or {@code timeoutMillis}
   * pass (0: do not wait), then calls the ready handlers. Also where the writes of the turn are
   * submitted, for a transport that batches them.
   */
  void poll(long timeoutMillis) throws IOException;

  /** Makes a {@link #poll} in progress (or the next one) return soon; callable from any thread. */
  void wakeup();

  /**
   * Starts a non-blocking connect (TCP with TCP_NODELAY, or a UNIX-domain socket); the handler hears
   * {@link Conduit#OP_CONNECT} when {@link Conduit#finishConnect} can complete it, unless it is
   * already connected (then {@link Conduit#isConnected()} is true and interest is 0).
   */
  Conduit connect(SocketAddress address, Readiness handler) throws IOException;

  /** Registers an accepted socket (TCP_NODELAY set) with this loop, interested in {@code ops}. */
  Conduit adopt(Accepted socket, int ops, Readiness handler) throws IOException;

  @Override
  void close();
}
