package io.github.wsproxy.internal.upstream;

import io.github.wsproxy.Balance;
import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.UpstreamState;
import io.github.wsproxy.internal.http.AffinityCookie;
import io.github.wsproxy.internal.http.HttpHead;
import io.github.wsproxy.internal.loop.EventLoop;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The running state of one {@link UpstreamGroup} in a started proxy: a {@link ServerState} per
 * server and a {@link Balancer} per tier (primaries, backups). Thread-safe: every event loop
 * selects from the same pool. Immutable apart from the servers' own state, so a later
 * reconfiguration can replace a pool as one reference.
 */
public final class UpstreamPool {
  private final UpstreamGroup group;
  private final ServerState[] all;
  private final ServerState[] primaries;
  private final ServerState[] backups;
  private final Balancer primaryBalancer;
  private final Balancer backupBalancer;
  private final UpstreamResolver resolver;

  public UpstreamPool(UpstreamGroup group, UpstreamResolver resolver) {
    this(group, resolver, null);
  }

  /**
   * A pool that takes over the running state of {@code previous}'s servers with the same URL
   * (connection counts, passive and active health); {@code previous} may be null.
   */
  public UpstreamPool(UpstreamGroup group, UpstreamResolver resolver, UpstreamPool previous) {
    this.group = group;
    this.resolver = resolver;
    List<UpstreamGroup.Server> servers = group.servers();
    boolean passiveHealth = servers.size() > 1;
    this.all = new ServerState[servers.size()];
    List<ServerState> primaryList = new ArrayList<>();
    List<ServerState> backupList = new ArrayList<>();
    for (int i = 0; i < all.length; i++) {
      all[i] = new ServerState(group, servers.get(i), i, passiveHealth,
          previous == null ? null : previous.server(servers.get(i).url()));
      (all[i].server.backup() ? backupList : primaryList).add(all[i]);
    }
    this.primaries = primaryList.toArray(new ServerState[0]);
    this.backups = backupList.toArray(new ServerState[0]);
    this.primaryBalancer = Balancer.of(group.balance(), primaries);
    this.backupBalancer = Balancer.of(group.balance(), backups);
  }

  /** Starts choosing a server for a client's request. */
  public UpstreamSelection select(HttpHead request, InetSocketAddress client) {
    return select(request, client, null);
  }

  /**
   * Starts choosing a server for a client's request, trying {@code preferred} first while it is
   * healthy and below its cap (the server a client's affinity cookie names), else as balanced.
   */
  public UpstreamSelection select(HttpHead request, InetSocketAddress client, ServerState preferred) {
    return new UpstreamSelection(this, key(group.balance(), request, client), group.maxTries(), preferred);
  }

  /** The server of this pool whose affinity id is {@code id}, or null (an unknown or forged id). */
  public ServerState byAffinityId(AffinityCookie cookie, String id) {
    for (ServerState server : all) {
      if (server.affinityId(cookie).equals(id)) {
        return server;
      }
    }
    return null;
  }

  /** Resolves a server's address; see {@link UpstreamResolver#resolve}. */
  public void resolve(ServerState server, EventLoop loop, Consumer<SocketAddress> resolved,
      Consumer<UnknownHostException> failed) {
    resolver.resolve(server, loop, resolved, failed);
  }

  /** A snapshot of every server, in the group's order. */
  public List<UpstreamState> states() {
    long now = System.nanoTime();
    List<UpstreamState> states = new ArrayList<>(all.length);
    for (ServerState server : all) {
      states.add(server.snapshot(now));
    }
    return List.copyOf(states);
  }

  /** Ends the failure period of servers whose fail timeout is over, even without traffic; on a loop's tick. */
  public void tick(long now) {
    for (ServerState server : all) {
      server.healthy(now);
    }
  }

  public UpstreamGroup group() {
    return group;
  }

  /** The state of the server with this URL, or null. */
  ServerState server(URI url) {
    for (ServerState server : all) {
      if (server.url().equals(url)) {
        return server;
      }
    }
    return null;
  }

  /** The servers of this pool whose state {@code next} did not take over: the ones removed. */
  public List<ServerState> removedIn(UpstreamPool next) {
    List<ServerState> removed = new ArrayList<>();
    for (ServerState server : all) {
      if (next == null || next.server(server.url()) == null) {
        removed.add(server);
      }
    }
    return removed;
  }

  ServerState[] servers() {
    return all;
  }

  int size() {
    return all.length;
  }

  /** A primary, else a backup, that is healthy, not yet tried and below its cap, with a slot taken; or null. */
  ServerState pick(boolean[] tried, String key, long now) {
    ServerState chosen = primaryBalancer.pick(primaries, eligible(primaries, tried, now), key);
    if (chosen == null && backups.length > 0) {
      chosen = backupBalancer.pick(backups, eligible(backups, tried, now), key);
    }
    return chosen;
  }

  /** Whether some healthy server is only unavailable because of its connection cap. */
  boolean capped(long now) {
    for (ServerState server : all) {
      if (server.healthy(now) && server.atCap()) {
        return true;
      }
    }
    return false;
  }

  private static boolean[] eligible(ServerState[] tier, boolean[] tried, long now) {
    boolean[] eligible = new boolean[tier.length];
    for (int i = 0; i < tier.length; i++) {
      ServerState server = tier[i];
      eligible[i] = !tried[server.index] && server.healthy(now) && !server.atCap();
    }
    return eligible;
  }

  /** The consistent-hash key of a request, or null (no key: balanced round-robin). */
  static String key(Balance balance, HttpHead request, InetSocketAddress client) {
    switch (balance.policy()) {
      case HASH_IP:
        return client.getAddress().getHostAddress();
      case HASH_HEADER:
        return request.value(balance.key());
      case HASH_COOKIE:
        return cookie(request, balance.key());
      case HASH_QUERY:
        return queryParameter(request.second(), balance.key());
      default:
        return null;
    }
  }

  private static String cookie(HttpHead request, String name) {
    for (HttpHead.Field field : request.fields()) {
      if (field.name().equalsIgnoreCase("cookie")) {
        String value = pairValue(field.value(), ';', name);
        if (value != null) {
          return value;
        }
      }
    }
    return null;
  }

  private static String queryParameter(String target, String name) {
    int question = target.indexOf('?');
    return question < 0 ? null : pairValue(target.substring(question + 1), '&', name);
  }

  /** The value of {@code name=value} in a {@code separator}-separated list, or null. */
  private static String pairValue(String list, char separator, String name) {
    int start = 0;
    while (start <= list.length()) {
      int end = list.indexOf(separator, start);
      if (end < 0) {
        end = list.length();
      }
      String pair = list.substring(start, end).strip();
      int equals = pair.indexOf('=');
      if (equals > 0 && pair.substring(0, equals).strip().equals(name)) {
        return pair.substring(equals + 1).strip();
      }
      start = end + 1;
    }
    return null;
  }
}
