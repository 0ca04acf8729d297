package io.github.wsproxy.internal.loop;

/**
 * What a {@link Conduit}'s (or a {@link Listening}'s) handler does when it is ready for what it is
 * interested in. Runs on the loop the conduit is registered with.
 */
@FunctionalInterface
public interface Readiness {
  /** @param readyOps the {@code Conduit.OP_*} bits that are ready; 0 for a call with nothing ready */
  void onReady(int readyOps);
}
