package io.github.wsproxy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sees and acts on the connections a {@link WsProxy} relays: subclass it, override only the
 * callbacks you need (every one has a no-op default), and register it with {@link
 * WsProxy.Builder#interceptor(Interceptor)}. Several interceptors form a chain, called in
 * registration order.
 *
 * <p><b>One instance serves every connection</b>, so keep per-connection state in the connection's
 * attributes ({@link ProxyConnection#setAttribute}), not in fields, or in thread-safe fields.
 *
 * <p><b>What it costs.</b> The proxy looks at which methods a subclass overrides. A direction whose
 * message and frame callbacks no interceptor overrides is relayed raw: frames are not decoded,
 * unmasked, copied or reassembled. A direction some interceptor watches is decoded: its messages are
 * assembled (up to {@link WsProxy.Builder#maxMessageBytes}) and re-encoded as one frame each;
 * watching only frames ({@link #onClientFrame}) keeps the original fragmentation. While any
 * interceptor watches messages or frames, permessage-deflate is not negotiated, so callbacks always
 * see plain payloads.
 *
 * <p><b>Threading.</b> Every callback runs on the event loop that carries the connection, and must
 * not block it: a blocking call stalls every connection on that loop. Work that takes time (an auth
 * service, a database) goes into the {@link CompletionStage} that {@link #onHandshake} or the
 * {@code ...Async} message callbacks return; the connection's other traffic in that direction waits
 * for it, in order, while other connections go on. {@link ProxyConnection}'s methods may be called
 * from any thread at any time.
 *
 * <p><b>Failures.</b> A callback that throws, or a stage that fails or does not complete within
 * {@link WsProxy.Builder#interceptorTimeout}, ends only its own connection: during the handshake
 * the client gets {@code 500} (failure) or {@code 504} (time limit); afterwards both sides get close
 * code 1011. A log line names the interceptor. The proxy keeps serving everyone else.
 */
public abstract class Interceptor {

  /** A stage that is already complete: return it from {@link #onHandshake} to let the handshake go on. */
  protected static final CompletionStage<Void> PROCEED = CompletableFuture.completedStage(null);

  /** For subclasses. */
  protected Interceptor() {}

  /**
   * Called when a client's upgrade request has passed the proxy's own checks, before the upstream
   * is contacted. Read the request, rewrite what goes upstream, attach attributes, or {@link
   * Handshake#reject reject} it. The handshake goes on (or ends, when rejected) once the returned
   * stage completes; the next interceptor in the chain is not called after a rejection.
   *
   * @param handshake the client's request, and what will be sent upstream
   * @return {@link #PROCEED} when done synchronously, or a stage completing when the decision is made
   */
  public CompletionStage<Void> onHandshake(Handshake handshake) {
    return PROCEED;
  }

  /**
   * Called when both legs are open: the client got its 101.
   *
   * @param connection the connection that opened
   */
  public void onOpen(ProxyConnection connection) {}

  /**
   * A whole message from the client, on its way to the upstream.
   *
   * @param connection the connection the message travels on
   * @param message the client's message
   * @return the message to pass on: {@code message} itself, a replacement, or {@code null} to drop it
   */
  public Message onClientMessage(ProxyConnection connection, Message message) {
    return message;
  }

  /**
   * A whole message from the upstream, on its way to the client.
   *
   * @param connection the connection the message travels on
   * @param message the upstream's message
   * @return the message to pass on: {@code message} itself, a replacement, or {@code null} to drop it
   */
  public Message onUpstreamMessage(ProxyConnection connection, Message message) {
    return message;
  }

  /**
   * Like {@link #onClientMessage}, but the answer may come later: later messages from the client
   * (and its pings and close) wait, in order, until the stage completes with the message to pass
   * on ({@code null} drops it). The default calls {@link #onClientMessage}. Override one of the two.
   *
   * @param connection the connection the message travels on
   * @param message the client's message
   * @return a stage completing with the message to pass on, or {@code null} to drop it
   */
  public CompletionStage<Message> onClientMessageAsync(ProxyConnection connection, Message message) {
    return CompletableFuture.completedStage(onClientMessage(connection, message));
  }

  /**
   * Like {@link #onUpstreamMessage}, asynchronously; see {@link #onClientMessageAsync}. The default
   * calls {@link #onUpstreamMessage}.
   *
   * @param connection the connection the message travels on
   * @param message the upstream's message
   * @return a stage completing with the message to pass on, or {@code null} to drop it
   */
  public CompletionStage<Message> onUpstreamMessageAsync(ProxyConnection connection, Message message) {
    return CompletableFuture.completedStage(onUpstreamMessage(connection, message));
  }

  /**
   * Each data frame from the client as it streams through, before its message is complete: for
   * watching very large messages without assembling them. Observation only; the frame is relayed as
   * it is. The payload is valid only during the call.
   *
   * @param connection the connection the frame travels on
   * @param frame the client's frame
   */
  public void onClientFrame(ProxyConnection connection, Frame frame) {}

  /**
   * Each data frame from the upstream as it streams through; see {@link #onClientFrame}.
   *
   * @param connection the connection the frame travels on
   * @param frame the upstream's frame
   */
  public void onUpstreamFrame(ProxyConnection connection, Frame frame) {}

  /**
   * Called once when an opened connection has ended, with who closed it and what moved.
   *
   * @param connection the connection that ended
   * @param info who closed it, with which code, and the traffic it carried
   */
  public void onClose(ProxyConnection connection, CloseInfo info) {}

  /**
   * Called when something failed on a connection: an interceptor threw or timed out, or a leg failed
   * with an I/O error. The connection is being closed; {@link #onClose} follows if it had opened.
   *
   * @param connection the connection that failed
   * @param error what failed
   */
  public void onError(ProxyConnection connection, Throwable error) {}

  @Override
  public String toString() {
    return getClass().getName();
  }
}
