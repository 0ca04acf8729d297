package io.github.wsproxy;

import java.util.Objects;

/**
 * How an {@link UpstreamGroup} chooses a server for each new connection. Immutable; compare with
 * {@link #equals(Object)}.
 *
 * <ul>
 *   <li>{@link #roundRobin()} (the default): smooth weighted round-robin, like nginx's: with
 *       weights 3 and 1, every 4 connections give 3 to the first server and 1 to the second,
 *       interleaved (a a b a) rather than in bursts.
 *   <li>{@link #leastConnections()}: the server with the fewest open connections relative to its
 *       weight; ties go round-robin.
 *   <li>{@code hash...}: sticky sessions. The same key always maps to the same server, on every
 *       WsProxy instance configured with the same server URLs (no per-process state or randomness),
 *       and adding or removing one of N servers moves only about 1/N of the keys. Implemented as
 *       weighted rendezvous (highest random weight) hashing over 64-bit FNV-1a with a murmur3
 *       finaliser, keyed by each server's URL. A request without the key (no such header, cookie or
 *       query parameter) is balanced round-robin.
 * </ul>
 */
public final class Balance {

  /** What a {@link Balance} decides by. */
  public enum Policy {
    /** Smooth weighted round-robin. */
    ROUND_ROBIN("round-robin"),
    /** Fewest open connections per weight. */
    LEAST_CONNECTIONS("least-conn"),
    /** Consistent hash of the client's IP address. */
    HASH_IP("hash:ip"),
    /** Consistent hash of a request header's value. */
    HASH_HEADER("hash:header"),
    /** Consistent hash of a cookie's value. */
    HASH_COOKIE("hash:cookie"),
    /** Consistent hash of a query parameter's (raw, undecoded) value. */
    HASH_QUERY("hash:query");

    private final String label;

    Policy(String label) {
      this.label = label;
    }
  }

  private static final Balance ROUND_ROBIN = new Balance(Policy.ROUND_ROBIN, null);
  private static final Balance LEAST_CONNECTIONS = new Balance(Policy.LEAST_CONNECTIONS, null);
  private static final Balance HASH_IP = new Balance(Policy.HASH_IP, null);

  private final Policy policy;
  private final String key;

  private Balance(Policy policy, String key) {
    this.policy = policy;
    this.key = key;
  }

  /**
   * Smooth weighted round-robin (the default).
   *
   * @return the round-robin balance
   */
  public static Balance roundRobin() {
    return ROUND_ROBIN;
  }

  /**
   * Fewest open connections relative to the server's weight.
   *
   * @return the least-connections balance
   */
  public static Balance leastConnections() {
    return LEAST_CONNECTIONS;
  }

  /**
   * Sticky by client IP address (as the proxy sees it: the TCP peer).
   *
   * @return the balance hashing on the client's IP address
   */
  public static Balance hashClientIp() {
    return HASH_IP;
  }

  /**
   * Sticky by the value of a request header, such as {@code X-User}; the name is case-insensitive.
   *
   * @param name the header's name
   * @return the balance hashing on that header's value
   */
  public static Balance hashHeader(String name) {
    return new Balance(Policy.HASH_HEADER, token("hashHeader", name));
  }

  /**
   * Sticky by the value of a cookie in the request's {@code Cookie} header, such as {@code sid}.
   *
   * @param name the cookie's name
   * @return the balance hashing on that cookie's value
   */
  public static Balance hashCookie(String name) {
    return new Balance(Policy.HASH_COOKIE, token("hashCookie", name));
  }

  /**
   * Sticky by the raw value of a query parameter of the request target, such as {@code room}.
   *
   * @param name the query parameter's name
   * @return the balance hashing on that parameter's value
   */
  public static Balance hashQuery(String name) {
    return new Balance(Policy.HASH_QUERY, token("hashQuery", name));
  }

  /**
   * The policy.
   *
   * @return the policy
   */
  public Policy policy() {
    return policy;
  }

  /**
   * The header, cookie or query parameter name hashed on; null for the other policies.
   *
   * @return the name hashed on, or null
   */
  public String key() {
    return key;
  }

  /**
   * Whether this is one of the consistent-hash policies.
   *
   * @return true for the {@code HASH_*} policies, false for round-robin and least-connections
   */
  public boolean isHash() {
    return policy != Policy.ROUND_ROBIN && policy != Policy.LEAST_CONNECTIONS;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Balance that && policy == that.policy && Objects.equals(key, that.key);
  }

  @Override
  public int hashCode() {
    return Objects.hash(policy, key);
  }

  /** The policy as the launcher's {@code --balance} flag spells it: {@code round-robin}, {@code hash:cookie:sid}... */
  @Override
  public String toString() {
    return key == null ? policy.label : policy.label + ":" + key;
  }

  private static String token(String setting, String name) {
    Objects.requireNonNull(name, setting);
    if (name.isEmpty() || !name.chars().allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}=&".indexOf(c) < 0)) {
      throw new IllegalArgumentException(setting + ": not a valid name: \"" + name + "\"");
    }
    return name;
  }
}
