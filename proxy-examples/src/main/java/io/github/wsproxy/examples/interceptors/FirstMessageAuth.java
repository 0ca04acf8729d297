package io.github.wsproxy.examples.interceptors;

import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.ProxyConnection;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Authenticates a connection by its first message, the way browser apps do it (a browser cannot
 * set an {@code Authorization} header on a WebSocket handshake): the client's first message is the
 * token. It is checked (asynchronously: {@code verifier} may call an auth service), swallowed, and
 * until it passes nothing is relayed in either direction: the upstream's messages wait. A bad
 * token, or none within {@code deadline}, closes the connection with 1008 (Policy Violation).
 */
public class FirstMessageAuth extends Interceptor {
  private static final String GATE = FirstMessageAuth.class.getName() + ".gate";

  private final Function<String, CompletionStage<Boolean>> verifier;
  private final Duration deadline;

  /**
   * @param verifier answers whether a token is valid; it must not block (return a stage instead)
   * @param deadline how long a client has to authenticate; keep it below the proxy's
   *     interceptorTimeout so that the client gets 1008 rather than 1011
   */
  public FirstMessageAuth(Function<String, CompletionStage<Boolean>> verifier, Duration deadline) {
    this.verifier = Objects.requireNonNull(verifier, "verifier");
    this.deadline = Objects.requireNonNull(deadline, "deadline");
  }

  @Override
  public void onOpen(ProxyConnection connection) {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    connection.setAttribute(GATE, gate);
    gate.orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS).whenComplete((ok, failure) -> {
      if (failure != null) {
        connection.close(1008, "authentication failed");
      }
    });
  }

  @Override
  public CompletionStage<Message> onClientMessageAsync(ProxyConnection connection, Message message) {
    CompletableFuture<Void> gate = gate(connection);
    if (gate.isDone()) {
      return CompletableFuture.completedStage(gate.isCompletedExceptionally() ? null : message);
    }
    if (!message.isText()) {
      gate.completeExceptionally(new SecurityException("the first message must be a text token"));
      return CompletableFuture.completedStage(null);
    }
    return verifier.apply(message.text()).handle((valid, failure) -> {
      if (failure == null && Boolean.TRUE.equals(valid)) {
        gate.complete(null);
      } else {
        gate.completeExceptionally(new SecurityException("invalid token"));
      }
      return null;
    });
  }

  @Override
  public CompletionStage<Message> onUpstreamMessageAsync(ProxyConnection connection, Message message) {
    CompletableFuture<Void> gate = gate(connection);
    return gate.isDone() && !gate.isCompletedExceptionally()
        ? CompletableFuture.completedStage(message)
        : gate.handle((ok, failure) -> failure == null ? message : null);
  }

  private static CompletableFuture<Void> gate(ProxyConnection connection) {
    @SuppressWarnings("unchecked")
    CompletableFuture<Void> gate = (CompletableFuture<Void>) connection.attribute(GATE);
    return gate;
  }
}
