package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.loop.Conduit;
import io.github.wsproxy.internal.loop.Readiness;
import io.github.wsproxy.internal.upstream.ServerState;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The idle keep-alive upstream connections of one event loop, per upstream server: plain HTTP
 * exchanges give back a connection whose response was read completely, and take the most recently
 * used one for their next request to that server. At most {@code maxIdlePerServer} are kept per
 * server; one idle longer than the timeout is closed, and so is one the server closes or writes to
 * while idle (nothing may arrive unasked). Used on its loop only.
 */
final class UpstreamKeepAlive {
  private final int maxIdlePerServer;
  private final long idleTimeoutNanos;
  private final Map<ServerState, ArrayDeque<Idle>> idle = new HashMap<>();

  UpstreamKeepAlive(int maxIdlePerServer, long idleTimeoutNanos) {
    this.maxIdlePerServer = maxIdlePerServer;
    this.idleTimeoutNanos = idleTimeoutNanos;
  }

  /** One idle connection, watched for the server closing it. */
  private final class Idle implements Readiness {
    final ServerState server;
    final Leg.Socket socket;
    final long sinceNanos;

    Idle(ServerState server, Leg.Socket socket, long sinceNanos) {
      this.server = server;
      this.socket = socket;
      this.sinceNanos = sinceNanos;
    }

    @Override
    public void onReady(int readyOps) {
      ArrayDeque<Idle> kept = idle.get(server);
      if (kept != null) {
        kept.remove(this);
      }
      close(socket); // closed by the server, or bytes nobody asked for: unusable either way
    }
  }

  /** Whether connections are kept at all. */
  boolean enabled() {
    return maxIdlePerServer > 0;
  }

  /** Keeps an upstream connection whose exchange completed; closes it when the server has enough. */
  void giveBack(ServerState server, Leg.Socket socket, long now) {
    ArrayDeque<Idle> kept = idle.computeIfAbsent(server, s -> new ArrayDeque<>());
    if (kept.size() >= maxIdlePerServer || !socket.conduit().isOpen()) {
      close(socket);
      return;
    }
    Idle entry = new Idle(server, socket, now);
    socket.conduit().handler(entry);
    socket.conduit().interestOps(Conduit.OP_READ);
    kept.addFirst(entry);
  }

  /** The most recently kept connection to {@code server}, or null. */
  Leg.Socket take(ServerState server) {
    ArrayDeque<Idle> kept = idle.get(server);
    Idle entry = kept == null ? null : kept.pollFirst();
    if (entry == null) {
      return null;
    }
    entry.socket.conduit().interestOps(0);
    return entry.socket;
  }

  /** Closes connections idle past the timeout. */
  void expire(long now) {
    for (ArrayDeque<Idle> kept : idle.values()) {
      for (Iterator<Idle> it = kept.descendingIterator(); it.hasNext(); ) {
        Idle entry = it.next();
        if (now - entry.sinceNanos <= idleTimeoutNanos) {
          break; // newer ones are further ahead
        }
        it.remove();
        close(entry.socket);
      }
    }
  }

  /** Closes every kept connection (shutdown). */
  void closeAll() {
    for (ArrayDeque<Idle> kept : idle.values()) {
      kept.forEach(entry -> close(entry.socket));
      kept.clear();
    }
  }

  private static void close(Leg.Socket socket) {
    if (socket.tls() != null) {
      socket.tls().release();
    }
    try {
      socket.conduit().close();
    } catch (IOException e) {
      // gone either way
    }
  }
}
