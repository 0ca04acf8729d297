package io.github.wsproxy.examples.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The JDK's java.net.http WebSocket client as the client of {@link HandshakeLoad}: asynchronous,
 * ws:// and wss://, every TLS handshake a full one unless sessions are to be resumed. Heavy: on a
 * small machine it takes much of the CPU itself.
 */
final class JdkHandshakeClient implements HandshakeClient {
  private final URI target;
  private final int concurrency;
  private final boolean forgetSessions;

  JdkHandshakeClient(URI target, int concurrency, boolean forgetSessions) {
    this.target = target;
    this.concurrency = concurrency;
    this.forgetSessions = forgetSessions;
  }

  @Override
  public CompletableFuture<Void> start(HandshakeTally tally) {
    HttpClient http = BenchTls.newClient();
    CompletableFuture<?>[] loops = new CompletableFuture<?>[concurrency];
    for (int i = 0; i < concurrency; i++) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      loops[i] = done;
      next(http, tally, done);
    }
    return CompletableFuture.allOf(loops);
  }

  private void next(HttpClient http, HandshakeTally tally, CompletableFuture<Void> done) {
    if (tally.stopped()) {
      done.complete(null);
      return;
    }
    CompletableFuture<Void> closed = new CompletableFuture<>();
    if (forgetSessions) {
      BenchTls.forgetSessions(http);
    }
    http.newWebSocketBuilder()
        .buildAsync(target, new WebSocket.Listener() {
          @Override
          public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            closed.complete(null);
            return null;
          }

          @Override
          public void onError(WebSocket socket, Throwable error) {
            closed.completeExceptionally(error);
          }
        })
        .thenCompose(socket -> socket.sendClose(WebSocket.NORMAL_CLOSURE, ""))
        .thenCompose(socket -> closed)
        .whenComplete((ok, error) -> {
          if (error == null) {
            tally.completed();
          } else {
            tally.failed(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
          }
          next(http, tally, done);
        });
  }
}
