package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.loop.Conduit;
import java.io.IOException;

/**
 * The client gets a complete HTTP response instead of a WebSocket (a rejection, the upstream's own
 * error): it is written, the proxy half-closes, and reads until the client closes, so that the
 * response is not reset away. The close timeout bounds it.
 */
final class Responding extends Phase {
  private final byte[] response;

  Responding(ConnectionPair pair, byte[] response) {
    super(pair);
    this.response = response;
  }

  @Override
  void start() {
    pair.timers.deadlineIn(pair.config.closeTimeout());
    pair.client.interest(Conduit.OP_READ, false);
    pair.client.sendHandshake(response);
    flush();
  }

  @Override
  void onReady(Leg leg, int readyOps) {
    if ((readyOps & Conduit.OP_WRITE) != 0 && leg.hasHandshakeOut()) {
      flush();
    }
    if ((readyOps & Conduit.OP_READ) != 0 && !leg.isClosed() && pair.phase() == this) {
      try {
        if (leg.readHandshake(pair.loop.buffers(), -1, ignored -> { }) < 0) {
          pair.finish();
        }
      } catch (IOException e) {
        clientFailed(e);
      }
    }
  }

  private void flush() {
    try {
      if (!pair.client.flushHandshake()) {
        return;
      }
    } catch (IOException e) {
      clientFailed(e);
      return;
    }
    try {
      pair.client.shutdownOutput();
      pair.client.interest(Conduit.OP_READ, true);
    } catch (IOException e) {
      pair.finish();
    }
  }

  @Override
  void onDeadline(long now) {
    pair.report.appendNote("close handshake timed out");
    pair.finish();
  }
}
