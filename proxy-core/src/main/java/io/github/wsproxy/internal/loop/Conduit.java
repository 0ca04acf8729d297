package io.github.wsproxy.internal.loop;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;

/**
 * A connected (or connecting) non-blocking socket registered with one event loop's {@link
 * Transport}: reads, writes and interest bits, with the semantics of a {@code SocketChannel}
 * registered with a selector (level-triggered readiness; a read returns 0 when nothing is there, -1
 * at end of stream; a write takes what fits and returns how much). Used on its loop only.
 *
 * <p>{@link #close()} is graceful: bytes already written still reach the peer, then FIN.
 *
 * <p>{@link #handOver} writes a pooled buffer without a copy where the transport can send from the
 * buffer's memory: it keeps the buffer until its bytes are sent and then releases it to its pool.
 * {@link #takeReceived} is its receiving side: bytes a transport received into a pooled buffer are
 * handed to the reader in that buffer, no copy.
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

  /**
   * Writes {@code src}, a buffer of {@code pool}, handing it over. True when the conduit took it:
   * the caller must not touch it again, and the conduit releases it to {@code pool} exactly once,
   * when its bytes have been sent or dropped (a reset, a failed send, a close whose linger ran out).
   * False when it did not: then, as after {@link #write(ByteBuffer)}, the buffer's position tells
   * how many bytes were written, and the caller keeps it and waits for {@link #OP_WRITE}. A write
   * that throws has not taken the buffer.
   *
   * <p>This default writes at once and releases the buffer when the socket took all of it (a
   * socket copies what it takes). A transport that sends later from the buffer's memory overrides
   * it to keep the buffer instead of copying it; it takes a buffer only while the bytes it holds
   * stay within its bound, as {@link #write(ByteBuffer)} takes only what fits.
   */
  default boolean handOver(ByteBuffer src, BufferPool pool) throws IOException {
    write(src);
    return pool.releaseIfWritten(src);
  }

  /**
   * Bytes received into a buffer of {@code pool}, handed to the caller without a copy: they are in
   * {@code [0, position)}, the limit is the capacity, and the caller owns the buffer (it releases it
   * to {@code pool}). Null when the conduit has no such buffer: {@link #read(ByteBuffer)} then, as
   * always (it also returns what comes after the buffer taken, the end of the stream, failures).
   *
   * <p>Calling it tells the conduit that its reader takes buffers of {@code pool}, so that a
   * transport may receive into them. This default has none: NIO reads into the caller's buffer,
   * which is no extra copy.
   */
  default ByteBuffer takeReceived(BufferPool pool) {
    return null;
  }
}
