package io.github.wsproxy.examples.bench;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/** The loops of a {@link HandshakeLoad}, on one client implementation: each opens a WebSocket, closes it, and opens the next. */
interface HandshakeClient {

  /**
   * Starts the loops, which count into {@code tally} and end once it is stopped, each with the
   * handshake it has in progress; the future completes when all have ended.
   */
  CompletableFuture<Void> start(HandshakeTally tally) throws IOException;
}
