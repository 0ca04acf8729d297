package io.github.wsproxy.internal.http;

/** An HTTP head that cannot be parsed; the message is safe to show to the peer. */
public final class MalformedHttpException extends Exception {
  public MalformedHttpException(String message) {
    super(message, null, false, false);
  }
}
