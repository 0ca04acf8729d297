package io.github.wsproxy.internal.limits;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission of client connections, shared by all event loops: the total number of client sockets,
 * the number per client address, and a token bucket of handshakes per second per address. Entries
 * of addresses with no connection left and a full bucket are dropped, so the map stays as small as
 * the set of active clients.
 */
public final class ClientLimits {

  /** Why a client was not admitted; null from {@link #admit} means admitted. */
  public enum Refusal {
    /** The proxy holds its maximum of connections: 503. */
    PROXY_FULL,
    /** This address holds its maximum of connections: 429. */
    ADDRESS_FULL,
    /** This address opens connections faster than allowed: 429. */
    TOO_FAST
  }

  /** The limits, replaced as a whole by {@link #reconfigure}; the counts carry over. */
  private record Limits(int maxConnections, int maxPerAddress, int handshakesPerSecond, List<AddressRange> trustedProxies) {}

  private volatile Limits limits;
  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, PerAddress> addresses = new ConcurrentHashMap<>();

  /** Connections and handshake tokens of one address. */
  private static final class PerAddress {
    int connections;
    double tokens;
    long refilledAt;
  }

  /**
   * @param maxPerAddress {@code Integer.MAX_VALUE} for no limit
   * @param handshakesPerSecond 0 for no limit
   */
  public ClientLimits(int maxConnections, int maxPerAddress, int handshakesPerSecond, List<String> trustedProxies) {
    reconfigure(maxConnections, maxPerAddress, handshakesPerSecond, trustedProxies);
  }

  /**
   * Replaces the limits for the clients admitted from now on (parameters as in the constructor);
   * the clients counted in stay counted.
   */
  public void reconfigure(int maxConnections, int maxPerAddress, int handshakesPerSecond, List<String> trustedProxies) {
    this.limits = new Limits(maxConnections, maxPerAddress, handshakesPerSecond, AddressRange.parseAll(trustedProxies));
  }

  /**
   * Counts a new client socket in, or says why it is refused (then nothing is counted). Every
   * admitted socket must be {@link #release}d once.
   */
  public Refusal admit(InetAddress address) {
    Limits current = limits;
    int maxPerAddress = current.maxPerAddress;
    int handshakesPerSecond = current.handshakesPerSecond;
    if (total.incrementAndGet() > current.maxConnections) {
      total.decrementAndGet();
      return Refusal.PROXY_FULL;
    }
    Refusal[] refusal = new Refusal[1];
    long now = System.nanoTime();
    addresses.compute(address, (key, entry) -> {
      PerAddress state = entry != null ? entry : fresh(now, handshakesPerSecond);
      refill(state, now, handshakesPerSecond);
      if (state.connections >= maxPerAddress) {
        refusal[0] = Refusal.ADDRESS_FULL;
      } else if (handshakesPerSecond > 0 && state.tokens < 1) {
        refusal[0] = Refusal.TOO_FAST;
      } else {
        state.connections++;
        state.tokens--;
      }
      return state.connections == 0 && full(state, handshakesPerSecond) ? null : state;
    });
    if (refusal[0] != null) {
      total.decrementAndGet();
    }
    return refusal[0];
  }

  /** Counts an admitted socket out. */
  public void release(InetAddress address) {
    total.decrementAndGet();
    long now = System.nanoTime();
    int handshakesPerSecond = limits.handshakesPerSecond;
    addresses.computeIfPresent(address, (key, state) -> {
      state.connections--;
      refill(state, now, handshakesPerSecond);
      return state.connections == 0 && full(state, handshakesPerSecond) ? null : state;
    });
  }

  /** The proxies whose forwarding headers are believed, parsed. */
  public List<AddressRange> trustedProxies() {
    return limits.trustedProxies;
  }

  /** Client sockets currently admitted. */
  public int connections() {
    return total.get();
  }

  private static PerAddress fresh(long now, int handshakesPerSecond) {
    PerAddress state = new PerAddress();
    state.tokens = Math.max(handshakesPerSecond, 1);
    state.refilledAt = now;
    return state;
  }

  private static void refill(PerAddress state, long now, int handshakesPerSecond) {
    if (handshakesPerSecond == 0) {
      state.tokens = 1;
      return;
    }
    state.tokens = Math.min(handshakesPerSecond, state.tokens + (now - state.refilledAt) * handshakesPerSecond / 1e9);
    state.refilledAt = now;
  }

  private static boolean full(PerAddress state, int handshakesPerSecond) {
    return handshakesPerSecond == 0 || state.tokens >= handshakesPerSecond;
  }
}
