package io.github.wsproxy.internal.loop;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;

/**
 * A connected (or connecting) non-blocking socket registered with one event loop's {@link
 * Transport}: reads, writes and interest bits, with the semantics of a {@code SocketChannel}
 * registered with a selector (level-triggered readiness; a read returns 0 when nothing is there, -1
 * at end of stream; a write takes what fits and returns how much). Used on its loop only.
 *
 * <p>{@link #close()} is graceful: bytes already written still reach the peer, then FIN.
 */
public interface Conduit extends ByteChannel, GatheringByteChannel {
  int OP_READ = 1;
  int OP_WRITE = 4;
  int OP_CONNECT = 8;

  /** The {@code OP_*} bits this conduit's handler wants to hear about. */
  int interestOps();

  void interestOps(int ops);

  /** Replaces the handler that hears of this conduit's readiness (a socket kept alive changes hands). */
  void handler(Readiness handler);

  /** Completes a connect started by {@link Transport#connect}; true once connected, or throws why not. */
  boolean finishConnect() throws IOException;

  boolean isConnected();

  /** The peer's address; null if not connected. */
  SocketAddress remoteAddress() throws IOException;

  /** Sends FIN once the bytes already written are sent; reading goes on. */
  void shutdownOutput() throws IOException;

  /** Closes at once with a TCP reset (SO_LINGER 0), discarding unsent bytes. */
  void reset();
}
