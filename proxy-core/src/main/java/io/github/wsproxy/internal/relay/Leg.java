package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.loop.EventLoop;
import io.github.wsproxy.internal.loop.Readiness;
import io.github.wsproxy.internal.tls.TlsSession;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/** One socket of a connection pair (the client's or the upstream's) and its close-handshake state. */
final class Leg implements Readiness {
  final ConnectionPair pair;
  final boolean isClient;
  SocketChannel channel;
  SelectionKey key;
  private int ops;
  /** Handshake bytes still to write on this leg (the upstream request, a response). */
  ByteBuffer handshakeOut;
  /** TLS on this leg (a wss:// client or upstream); null for plain TCP. */
  TlsSession tls;
  private EventLoop loop;
  private boolean bufferedReadQueued;
  /** When bytes last arrived on this leg (nanotime). */
  long lastReadNanos = System.nanoTime();
  /** When the proxy's own ping to this leg was sent and not yet answered; 0 when none is. */
  long pingSentNanos;
  boolean closeSent;
  boolean closeReceived;
  boolean closed;

  Leg(ConnectionPair pair, boolean isClient) {
    this.pair = pair;
    this.isClient = isClient;
  }

  @Override
  public void onReady(SelectionKey readyKey) {
    pair.onReady(this, readyKey.readyOps());
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
    TlsSession.Step step = tls.handshake(channel, this::resumeAfterTlsTask);
    interest(SelectionKey.OP_WRITE, step == TlsSession.Step.NEED_WRITE);
    interest(SelectionKey.OP_READ, step == TlsSession.Step.NEED_READ || step == TlsSession.Step.DONE);
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
    if (tls == null || bufferedReadQueued || closed || (ops & SelectionKey.OP_READ) == 0
        || !tls.handshakeDone() || !tls.hasBufferedInput()) {
      return;
    }
    bufferedReadQueued = true;
    loop.execute(() -> {
      bufferedReadQueued = false;
      if (!closed && (ops & SelectionKey.OP_READ) != 0) {
        pair.onReady(this, SelectionKey.OP_READ);
        readBufferedTls();
      }
    });
  }

  void attach(SocketChannel channel, SelectionKey key) {
    this.channel = channel;
    this.key = key;
    this.ops = key.interestOps();
  }

  /** Reads (and decrypts, on TLS) into {@code dst}; -1 at the end of the stream. */
  int read(ByteBuffer dst) throws IOException {
    return tls == null ? channel.read(dst) : tls.read(channel, dst);
  }

  /** Writes (and encrypts, on TLS) from {@code src}; returns the bytes of {@code src} taken. */
  int write(ByteBuffer src) throws IOException {
    return tls == null ? channel.write(src) : tls.write(channel, src);
  }

  /** A gathering {@link #write(ByteBuffer)}; returns the bytes taken from all of {@code srcs}. */
  long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return tls == null ? channel.write(srcs, offset, length) : tls.write(channel, srcs, offset, length);
  }

  /** Sends what the transport still holds (TLS records); true when nothing is left. */
  boolean flushTransport() throws IOException {
    return tls == null || tls.flush(channel);
  }

  /** Turns one interest bit on or off, touching the selector only on a change. */
  void interest(int op, boolean on) {
    int wanted = on ? ops | op : ops & ~op;
    if (wanted != ops && !closed && key != null && key.isValid()) {
      ops = wanted;
      key.interestOps(wanted);
    }
    if (on && op == SelectionKey.OP_READ) {
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
      tls.closeQuietly(channel);
    }
    channel.shutdownOutput();
  }

  /** The peer answered the proxy's ping. */
  void pingAnswered() {
    pingSentNanos = 0;
  }

  String name() {
    return isClient ? "client" : "upstream";
  }

  /** Closes the socket; with {@code reset}, an abortive close (RST) for a peer that must not linger. */
  void close(boolean reset) {
    if (closed) {
      return;
    }
    closed = true;
    if (channel == null) {
      return;
    }
    try {
      if (reset && channel.isConnected()) {
        channel.setOption(StandardSocketOptions.SO_LINGER, 0);
      }
    } catch (IOException | RuntimeException e) {
      // the socket is going away either way
    }
    if (tls != null && reset) {
      tls.abandon();
    } else if (tls != null) {
      tls.closeQuietly(channel);
    }
    try {
      channel.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }
}
