package io.github.wsproxy.internal.upstream;

import io.github.wsproxy.Balance;

/**
 * Chooses a server among a tier (the primaries, or the backups) of a group. Called from any event
 * loop; implementations that keep state synchronise it.
 */
abstract class Balancer {

  static Balancer of(Balance balance, ServerState[] servers) {
    switch (balance.policy()) {
      case ROUND_ROBIN:
        return new SmoothRoundRobin(servers.length);
      case LEAST_CONNECTIONS:
        return new LeastConnections();
      default:
        return new RendezvousHash(new SmoothRoundRobin(servers.length));
    }
  }

  /**
   * Picks a server, takes a connection slot on it and returns it; null when none is eligible.
   *
   * @param eligible which servers may be chosen (healthy, not yet tried, below their cap); the
   *     array is updated when a chosen server turns out to be at its cap
   * @param key the hash key, or null
   */
  final ServerState pick(ServerState[] servers, boolean[] eligible, String key) {
    while (true) {
      int chosen = choose(servers, eligible, key);
      if (chosen < 0) {
        return null;
      }
      ServerState server = servers[chosen];
      if (server.tryAcquire()) {
        return server;
      }
      eligible[chosen] = false;
    }
  }

  /** The index of the server to use among the eligible ones, or -1. */
  abstract int choose(ServerState[] servers, boolean[] eligible, String key);
}
