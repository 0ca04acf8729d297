package io.github.wsproxy.internal.relay;

import java.io.IOException;

/**
 * One phase of a connection pair's life (the client's handshake, the upstream connection, the
 * open relay, an HTTP response), owning its own state. The pair hands the current phase every
 * readiness event of its sockets and, through its {@link Timers}, the phase's deadline; a phase
 * moves the pair on to the next one. A new kind of exchange is one more phase.
 */
abstract class Phase {
  final ConnectionPair pair;

  Phase(ConnectionPair pair) {
    this.pair = pair;
  }

  /** Called once this phase is the pair's current one: it sets its deadline and starts its work. */
  void start() {
  }

  /** A readiness event on one of the pair's sockets; no ops after a TLS task finished off the loop. */
  abstract void onReady(Leg leg, int readyOps);

  /** The deadline this phase set on the pair's {@link Timers} has passed. */
  abstract void onDeadline(long now);

  /** The proxy ends the connection (shutdown, draining); before it is open, it ends now. */
  void goAway(String reason) {
    pair.end(reason);
  }

  /** An operator closes the connection; before it is open, it ends now. */
  void closeByAdmin(int code, String reason) {
    pair.end("closed by the admin API during the handshake");
  }

  /** What the admin view calls this phase. */
  String name() {
    return "handshake";
  }

  /** The client's socket failed before the connection opened. */
  final void clientFailed(IOException e) {
    pair.end("client failed during the handshake: " + e.getMessage());
  }

  /** The client closed its socket before the connection opened. */
  final void clientLeft() {
    pair.end("client left during the handshake");
  }
}
