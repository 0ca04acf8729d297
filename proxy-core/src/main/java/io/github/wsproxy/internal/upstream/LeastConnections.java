package io.github.wsproxy.internal.upstream;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The eligible server with the fewest open connections per unit of weight; among equals, the
 * search starts one further on each pick, so ties go round-robin.
 */
final class LeastConnections extends Balancer {
  private final AtomicInteger start = new AtomicInteger();

  @Override
  int choose(ServerState[] servers, boolean[] eligible, String key) {
    int n = servers.length;
    int first = Math.floorMod(start.getAndIncrement(), n);
    int best = -1;
    long bestActive = 0;
    long bestWeight = 1;
    for (int k = 0; k < n; k++) {
      int i = (first + k) % n;
      if (!eligible[i]) {
        continue;
      }
      long active = servers[i].active();
      long weight = servers[i].weight();
      if (best < 0 || active * bestWeight < bestActive * weight) {
        best = i;
        bestActive = active;
        bestWeight = weight;
      }
    }
    return best;
  }
}
