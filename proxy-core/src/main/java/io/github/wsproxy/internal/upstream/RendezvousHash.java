package io.github.wsproxy.internal.upstream;

import java.nio.charset.StandardCharsets;

/**
 * Weighted rendezvous (highest random weight) hashing: each eligible server scores the key with
 * {@code -weight / ln(u)}, {@code u} a uniform number in (0, 1) derived from the hashes of the key
 * and of the server's URL, and the highest score wins.
 *
 * <p>Why rendezvous rather than a ring or Maglev: with the handful of servers a group has, scoring
 * each one per connection is cheap and needs no table to build or keep consistent; it is exactly
 * minimal-disruption (removing a server moves only the keys it held, adding one takes only the
 * keys it now wins: about 1/N either way, with no virtual-node variance); it honours weights; and
 * the ranking of the remaining servers is itself consistent, so failover to "the next server" sends
 * a key to the same second choice on every instance. The hash is 64-bit FNV-1a over the UTF-8
 * bytes, finished with murmur3's fmix64 for avalanche; nothing depends on the process, so every
 * WsProxy with the same server URLs makes the same choice. Without a key, the connection is
 * balanced round-robin.
 */
final class RendezvousHash extends Balancer {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private final Balancer withoutKey;

  RendezvousHash(Balancer withoutKey) {
    this.withoutKey = withoutKey;
  }

  @Override
  int choose(ServerState[] servers, boolean[] eligible, String key) {
    if (key == null) {
      return withoutKey.choose(servers, eligible, null);
    }
    long keyHash = hash(key);
    int best = -1;
    double bestScore = 0;
    for (int i = 0; i < servers.length; i++) {
      if (!eligible[i]) {
        continue;
      }
      double score = score(keyHash, servers[i].urlHash, servers[i].weight());
      if (best < 0 || score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    return best;
  }

  static double score(long keyHash, long serverHash, int weight) {
    long mixed = fmix64(keyHash ^ fmix64(serverHash));
    double uniform = ((mixed >>> 11) + 0.5) / (1L << 53);
    return -weight / Math.log(uniform);
  }

  /** 64-bit FNV-1a of the UTF-8 bytes, finished with fmix64. */
  static long hash(String s) {
    long h = FNV_OFFSET;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= FNV_PRIME;
    }
    return fmix64(h);
  }

  private static long fmix64(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
