package io.github.wsproxy.internal.relay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * TLS over a non-blocking socket with an {@link SSLEngine}, for a {@code wss://} upstream leg.
 * Reads decrypt into the caller's buffer; writes encrypt into a record buffer whose unsent rest
 * is reported by {@link #flush}. Used only by its connection's event loop.
 */
final class TlsSession {
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final SSLEngine engine;
  private final ByteBuffer netIn;
  private final ByteBuffer netOut;
  private final ByteBuffer appIn;

  TlsSession(SSLEngine engine) {
    this.engine = engine;
    this.netIn = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    this.netOut = ByteBuffer.allocate(engine.getSession().getPacketBufferSize()).flip();
    this.appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize()).flip();
  }

  /**
   * Advances the TLS handshake as far as the socket allows.
   *
   * @return true once the handshake is complete
   */
  boolean handshake(SocketChannel channel) throws IOException {
    while (true) {
      if (!flush(channel)) {
        return false;
      }
      switch (engine.getHandshakeStatus()) {
        case NEED_WRAP:
          netOut.clear();
          SSLEngineResult wrapped = engine.wrap(EMPTY, netOut);
          netOut.flip();
          if (wrapped.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw new SSLException("upstream closed the TLS session during its handshake");
          }
          break;
        case NEED_UNWRAP:
        case NEED_UNWRAP_AGAIN:
          if (!unwrapInto(channel, appIn)) {
            return false;
          }
          break;
        case NEED_TASK:
          Runnable task;
          while ((task = engine.getDelegatedTask()) != null) {
            task.run();
          }
          break;
        default:
          return true;
      }
    }
  }

  /** Reads and decrypts into {@code dst}; -1 at the end of the stream or of the TLS session. */
  int read(SocketChannel channel, ByteBuffer dst) throws IOException {
    int copied = drainAppIn(dst);
    if (copied > 0) {
      return copied;
    }
    int n = channel.read(netIn);
    netIn.flip();
    try {
      while (netIn.hasRemaining()) {
        appIn.compact();
        SSLEngineResult result;
        try {
          result = engine.unwrap(netIn, appIn);
        } finally {
          appIn.flip();
        }
        if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
          int rest = drainAppIn(dst);
          return rest > 0 ? rest : -1;
        }
        if (result.getStatus() != SSLEngineResult.Status.OK || appIn.remaining() > dst.remaining()) {
          break;
        }
        copied += drainAppIn(dst);
      }
    } finally {
      netIn.compact();
    }
    copied += drainAppIn(dst);
    return copied == 0 && n < 0 ? -1 : copied;
  }

  /** Encrypts as much of {@code src} as can be sent now; returns the plaintext bytes consumed. */
  int write(SocketChannel channel, ByteBuffer src) throws IOException {
    int consumed = 0;
    while (src.hasRemaining() && flush(channel)) {
      netOut.clear();
      SSLEngineResult result = engine.wrap(src, netOut);
      netOut.flip();
      consumed += result.bytesConsumed();
      if (result.getStatus() != SSLEngineResult.Status.OK) {
        throw new SSLException("TLS session with the upstream is closed");
      }
    }
    flush(channel);
    return consumed;
  }

  /** Sends encrypted bytes still pending; true when none are left. */
  boolean flush(SocketChannel channel) throws IOException {
    if (netOut.hasRemaining()) {
      channel.write(netOut);
    }
    return !netOut.hasRemaining();
  }

  private boolean unwrapInto(SocketChannel channel, ByteBuffer target) throws IOException {
    netIn.flip();
    SSLEngineResult result;
    try {
      target.compact();
      try {
        result = engine.unwrap(netIn, target);
      } finally {
        target.flip();
      }
    } finally {
      netIn.compact();
    }
    if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
      int n = channel.read(netIn);
      if (n < 0) {
        throw new SSLException("upstream closed the connection during the TLS handshake");
      }
      return n > 0;
    }
    if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
      throw new SSLException("upstream closed the TLS session during its handshake");
    }
    return true;
  }

  private int drainAppIn(ByteBuffer dst) {
    int n = Math.min(appIn.remaining(), dst.remaining());
    if (n == 0) {
      return 0;
    }
    int limit = appIn.limit();
    appIn.limit(appIn.position() + n);
    dst.put(appIn);
    appIn.limit(limit);
    return n;
  }
}
