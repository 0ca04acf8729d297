package io.github.wsproxy.internal.http;

/** The upstream answered the handshake with something the proxy cannot relay (the client gets 502). */
public final class BadUpstreamException extends Exception {
  BadUpstreamException(String message) {
    super(message, null, false, false);
  }
}
