package io.github.wsproxy;

/**
 * Hears about the health of an {@link UpstreamGroup}'s servers; register it with {@link
 * UpstreamGroup.Builder#listener(UpstreamListener)} and override what you need (every method has
 * a no-op default). Called on one of the proxy's event-loop threads: return quickly and never
 * block.
 */
public interface UpstreamListener {

  /**
   * A server's health changed: it failed {@code maxFails} times within {@code failTimeout}
   * ({@link UpstreamState.Health#FAILED}), its failure period ended ({@link
   * UpstreamState.Health#UP}), or an active probe marked it down or up.
   *
   * @param state the server's state just after the change
   */
  default void onHealthChanged(UpstreamState state) {}
}
