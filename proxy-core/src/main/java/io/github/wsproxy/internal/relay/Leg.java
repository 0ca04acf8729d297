package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.loop.Readiness;
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
  /** TLS for a wss:// upstream leg; null for plain TCP. */
  TlsSession tls;
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
    try {
      channel.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }
}
