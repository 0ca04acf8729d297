package io.github.wsproxy.internal.loop;

/**
 * A socket accepted on a {@link Listening} and not registered with a loop yet: it may be handed to
 * another loop of the same transport, which {@linkplain Transport#adopt adopts} it.
 */
public interface Accepted {
  /** Closes the socket without registering it (it could not be set up). */
  void close();
}
