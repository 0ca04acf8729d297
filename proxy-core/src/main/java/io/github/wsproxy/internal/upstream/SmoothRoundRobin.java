package io.github.wsproxy.internal.upstream;

/**
 * nginx's smooth weighted round-robin: every pick adds each eligible server's weight to its
 * current weight, picks the largest, and takes the total off the winner. Weights 5, 1, 1 give
 * a a b a c a a rather than a a a a a b c; over any window of sum-of-weights picks, each server
 * gets exactly its weight.
 */
final class SmoothRoundRobin extends Balancer {
  private final int[] current;

  SmoothRoundRobin(int servers) {
    this.current = new int[servers];
  }

  @Override
  synchronized int choose(ServerState[] servers, boolean[] eligible, String key) {
    int best = -1;
    int total = 0;
    for (int i = 0; i < servers.length; i++) {
      if (!eligible[i]) {
        continue;
      }
      current[i] += servers[i].weight();
      total += servers[i].weight();
      if (best < 0 || current[i] > current[best]) {
        best = i;
      }
    }
    if (best >= 0) {
      current[best] -= total;
    }
    return best;
  }
}
