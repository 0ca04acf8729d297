package io.github.wsproxy.internal.loop;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A bound, listening socket. Created on any thread by {@link TransportProvider#listen}, then
 * {@linkplain #register registered} with one loop, whose handler hears {@link #OP_ACCEPT}.
 */
public interface Listening extends Closeable {
  int OP_ACCEPT = 16;

  InetSocketAddress localAddress();

  /** Starts hearing of pending connections on the given loop's transport; call on that loop. */
  void register(Transport transport, Readiness handler) throws IOException;

  /** {@link #OP_ACCEPT} to hear of pending connections, 0 to pause; call on the registered loop. */
  void interestOps(int ops);

  /** The next pending connection, or null when none is pending; throws when accepting fails (EMFILE...). */
  Accepted accept() throws IOException;

  /** Whether this socket is still open and registered (not closed). */
  boolean isOpen();

  @Override
  void close();
}
