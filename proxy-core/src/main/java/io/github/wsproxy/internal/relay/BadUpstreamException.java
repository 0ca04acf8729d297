package io.github.wsproxy.internal.relay;

/** The upstream answered the handshake with something the proxy cannot relay (the client gets 502). */
final class BadUpstreamException extends Exception {
  BadUpstreamException(String message) {
    super(message, null, false, false);
  }
}
