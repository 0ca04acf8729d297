package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.intercept.Direction;
import io.github.wsproxy.internal.loop.BufferPool;
import io.github.wsproxy.internal.loop.Conduit;
import io.github.wsproxy.internal.loop.EventLoop;
import io.github.wsproxy.internal.loop.Readiness;
import io.github.wsproxy.internal.tls.TlsSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.util.function.Consumer;

/**
 * One socket of a connection pair (the client's or the upstream's): its transport (plain or TLS),
 * its interest bits, its close-handshake state, and when it was last heard from.
 */
final class Leg implements Readiness {
  private final ConnectionPair pair;
  /** The direction of the bytes read from this leg: {@link Direction#CLIENT_TO_UPSTREAM} on the client's. */
  final Direction direction;
  private Conduit conduit;
  private int ops;
  /** Handshake bytes still to write on this leg (the upstream request, a response). */
  private ByteBuffer handshakeOut;
  /** TLS on this leg (a wss:// client or upstream); null for plain TCP. */
  private TlsSession tls;
  private EventLoop loop;
  private boolean bufferedReadQueued;
  /** When bytes last arrived on this leg (nanotime). */
  private long lastReadNanos = System.nanoTime();
  /** When the proxy's own ping to this leg was sent and not yet answered; 0 when none is. */
  private long pingSentNanos;
  private boolean closeSent;
  private boolean closeReceived;
  private boolean closed;

  Leg(ConnectionPair pair, Direction direction) {
    this.pair = pair;
    this.direction = direction;
  }

  @Override
  public void onReady(int readyOps) {
    pair.onReady(this, readyOps);
    readBufferedTls();
  }

  /** Puts this leg under TLS; the handshake is driven by {@link #advanceTls}. */
  void startTls(TlsSession session, EventLoop owner) {
    this.tls = session;
    this.loop = owner;
  }

  /** Whether this leg is TLS and its handshake not complete yet. */
  boolean tlsHandshaking() {
    return tls != null && !tls.handshakeDone();
  }

  /**
   * Advances the TLS handshake and waits for what it needs (readable, writable, or a task off the
   * loop, after which the pair gets a readiness call with no ops).
   *
   * @return true once the handshake is complete
   */
  boolean advanceTls() throws IOException {
    TlsSession.Step step = tls.handshake(conduit, this::resumeAfterTlsTask);
    interest(Conduit.OP_WRITE, step == TlsSession.Step.NEED_WRITE);
    interest(Conduit.OP_READ, step == TlsSession.Step.NEED_READ || step == TlsSession.Step.DONE);
    return step == TlsSession.Step.DONE;
  }

  /** On the TLS executor's thread, after a handshake task. */
  private void resumeAfterTlsTask() {
    loop.execute(() -> {
      if (!closed) {
        pair.onReady(this, 0);
      }
    });
  }

  /**
   * Decrypted bytes (or whole records) held by the TLS session make no socket readable: while this
   * leg wants to read, a read is queued on the loop for them.
   */
  private void readBufferedTls() {
    if (tls == null || bufferedReadQueued || closed || (ops & Conduit.OP_READ) == 0
        || !tls.handshakeDone() || !tls.hasBufferedInput()) {
      return;
    }
    bufferedReadQueued = true;
    loop.execute(() -> {
      bufferedReadQueued = false;
      if (!closed && (ops & Conduit.OP_READ) != 0) {
        pair.onReady(this, Conduit.OP_READ);
        readBufferedTls();
      }
    });
  }

  /** This leg's socket, registered with this leg as its handler. */
  void attach(Conduit socket) {
    this.conduit = socket;
    this.ops = socket.interestOps();
  }

  /** An open upstream socket handed from one leg to another: a keep-alive connection between exchanges. */
  record Socket(Conduit conduit, TlsSession tls) {}

  /** Gives this leg's open socket away (it is kept alive): this leg is closed, the socket is not. */
  Socket detach() {
    closed = true;
    return new Socket(conduit, tls);
  }

  /** Takes over a socket kept alive: its readiness events come to this leg from now on. */
  void adopt(Socket socket, EventLoop owner) {
    attach(socket.conduit());
    conduit.handler(this);
    tls = socket.tls();
    loop = owner;
  }

  /** Completes a non-blocking connect; true once connected. */
  boolean finishConnect() throws IOException {
    return conduit.finishConnect();
  }

  /** The negotiated TLS protocol, e.g. {@code TLSv1.3}; only once the handshake is complete. */
  String tlsProtocol() {
    return tls.protocol();
  }

  /** The peer's certificate, verified during the TLS handshake, or null (no TLS, or none presented). */
  X509Certificate peerCertificate() {
    return tls == null ? null : tls.peerCertificate();
  }

  /**
   * Reads handshake bytes (at most {@code limit} of them, or a buffer's worth when negative) into
   * a pooled buffer and hands what arrived to {@code sink}.
   *
   * @return the bytes read, -1 at the end of the stream
   */
  int readHandshake(BufferPool pool, int limit, Consumer<ByteBuffer> sink) throws IOException {
    ByteBuffer buffer = pool.acquire();
    if (limit >= 0) {
      buffer.limit(limit);
    }
    try {
      int n = read(buffer);
      buffer.flip();
      if (n > 0) {
        sink.accept(buffer);
      }
      return n;
    } finally {
      pool.release(buffer);
    }
  }

  /** Queues handshake bytes (a request or response head) to write on this leg; see {@link #flushHandshake}. */
  void sendHandshake(byte[] bytes) {
    handshakeOut = ByteBuffer.wrap(bytes);
  }

  /** Whether handshake bytes are waiting to be written. */
  boolean hasHandshakeOut() {
    return handshakeOut != null;
  }

  /**
   * Writes the queued handshake bytes, waiting for writability while some remain.
   *
   * @return true once all of them are written (and the transport flushed)
   */
  boolean flushHandshake() throws IOException {
    write(handshakeOut);
    if (!flushTransport() || handshakeOut.hasRemaining()) {
      interest(Conduit.OP_WRITE, true);
      return false;
    }
    handshakeOut = null;
    interest(Conduit.OP_WRITE, false);
    return true;
  }

  /** Reads (and decrypts, on TLS) into {@code dst}; -1 at the end of the stream. */
  int read(ByteBuffer dst) throws IOException {
    return tls == null ? conduit.read(dst) : tls.read(conduit, dst);
  }

  /**
   * Bytes received into a buffer of {@code pool} that the caller takes over ({@link
   * Conduit#takeReceived}); null when there is none, and always on TLS (decryption copies anyway).
   */
  ByteBuffer takeReceived(BufferPool pool) {
    return tls == null ? conduit.takeReceived(pool) : null;
  }

  /** Writes (and encrypts, on TLS) from {@code src}; returns the bytes of {@code src} taken. */
  int write(ByteBuffer src) throws IOException {
    return tls == null ? conduit.write(src) : tls.write(conduit, src);
  }

  /**
   * Writes {@code src}, a buffer of {@code pool}, handing it over ({@link Conduit#handOver}): on
   * plain TCP the transport may send from it without a copy. On TLS it is encrypted into the
   * session's own buffers (that copy is the encryption), so it goes back to the pool once all of it
   * is encrypted.
   *
   * @return true when {@code src} was taken and must not be touched again; false when the caller
   *     keeps it (its position tells what was written)
   */
  boolean handOver(ByteBuffer src, BufferPool pool) throws IOException {
    if (tls == null) {
      return conduit.handOver(src, pool);
    }
    tls.write(conduit, src);
    return pool.releaseIfWritten(src);
  }

  /** A gathering {@link #write(ByteBuffer)}; returns the bytes taken from all of {@code srcs}. */
  long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return tls == null ? conduit.write(srcs, offset, length) : tls.write(conduit, srcs, offset, length);
  }

  /** Sends what the transport still holds (TLS records); true when nothing is left. */
  boolean flushTransport() throws IOException {
    return tls == null || tls.flush(conduit);
  }

  /** Turns one interest bit on or off, touching the transport only on a change. */
  void interest(int op, boolean on) {
    int wanted = on ? ops | op : ops & ~op;
    if (wanted != ops && !closed && conduit != null && conduit.isOpen()) {
      ops = wanted;
      conduit.interestOps(wanted);
    }
    if (on && op == Conduit.OP_READ) {
      readBufferedTls();
    }
  }

  /** An idle leg gives back its empty TLS buffers. */
  void releaseIdleTlsBuffers() {
    if (tls != null) {
      tls.releaseIdleBuffers();
    }
  }

  /** Ends this leg's output (after close_notify, on TLS); the peer can still send. */
  void shutdownOutput() throws IOException {
    if (tls != null) {
      tls.closeQuietly(conduit);
    }
    conduit.shutdownOutput();
  }

  /** Bytes arrived on this leg at {@code now}. */
  void heardAt(long now) {
    lastReadNanos = now;
  }

  /** When bytes last arrived on this leg (nanotime). */
  long lastHeardNanos() {
    return lastReadNanos;
  }

  /** The proxy sent this leg a ping of its own at {@code now}. */
  void pingSentAt(long now) {
    pingSentNanos = now;
  }

  /** When the proxy's unanswered ping was sent; 0 when none is outstanding. */
  long pingSentNanos() {
    return pingSentNanos;
  }

  /** The peer answered the proxy's ping. */
  void pingAnswered() {
    pingSentNanos = 0;
  }

  /** The close frame towards this leg has been written. */
  void closeFrameSent() {
    closeSent = true;
  }

  /** A close frame arrived from this leg. */
  void closeFrameReceived() {
    closeReceived = true;
  }

  /** Whether the close frame towards this leg has been written. */
  boolean sentCloseFrame() {
    return closeSent;
  }

  /** Whether a close frame arrived from this leg. */
  boolean receivedCloseFrame() {
    return closeReceived;
  }

  /** Whether close frames went both ways on this leg. */
  boolean closeHandshakeDone() {
    return closeSent && closeReceived;
  }

  /** Whether the socket is closed. */
  boolean isClosed() {
    return closed;
  }

  /** "client" or "upstream", for log lines and close reasons. */
  String name() {
    return direction.source();
  }

  /** Closes the socket; with {@code reset}, an abortive close (RST) for a peer that must not linger. */
  void close(boolean reset) {
    if (closed) {
      return;
    }
    closed = true;
    if (conduit == null) {
      return;
    }
    if (tls != null) {
      if (!reset) {
        tls.closeQuietly(conduit);
      }
      tls.release();
    }
    if (reset) {
      conduit.reset();
      return;
    }
    try {
      conduit.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }
}
