package io.github.wsproxy.internal.upstream;

import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.UpstreamListener;
import io.github.wsproxy.UpstreamState;
import io.github.wsproxy.internal.http.AffinityCookie;
import io.github.wsproxy.internal.http.UpstreamUrls;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running state of one upstream server, shared by every event loop: its open connections (an
 * atomic counter, so the cap holds across loops), its passive-health failures and its active-health
 * verdict. Health changes are logged (WARN down, INFO up) and told to the group's listener.
 */
public final class ServerState {
  private static final Logger log = LoggerFactory.getLogger(ServerState.class);

  final UpstreamGroup.Server server;
  final int index;
  final String host;
  final int port;
  /** The address when no lookup is needed (an IP literal, a UNIX domain socket), else null. */
  final SocketAddress literal;
  /** The hash of the server's URL, the per-server half of rendezvous hashing. */
  final long urlHash;
  private final int cap;
  private final int maxFails;
  private final long failTimeoutNanos;
  private final UpstreamListener listener;
  /** Shared with the state this one took over in a reconfiguration, so old connections count too. */
  private final AtomicInteger active;
  private volatile boolean failed;
  private volatile long failedUntilNanos;
  private volatile boolean probeDown;
  private int fails;
  private long firstFailNanos;
  /** This server's id in affinity cookies, computed on first use (one cookie format per proxy). */
  private volatile String affinityId;

  /**
   * @param previous the state of the same server (same URL) before a reconfiguration, whose
   *     connection count and health carry over; or null
   */
  ServerState(UpstreamGroup group, UpstreamGroup.Server server, int index, boolean passiveHealth,
      ServerState previous) {
    this.server = server;
    this.index = index;
    URI url = server.url();
    this.host = url.getHost();
    this.port = url.getPort() >= 0 ? url.getPort() : "wss".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
    this.literal = UpstreamUrls.isUnixSocket(url) ? UpstreamUrls.unixSocket(url) : UpstreamResolver.literal(host, port);
    this.urlHash = RendezvousHash.hash(url.toString());
    this.cap = group.maxConnections() == 0 ? Integer.MAX_VALUE : group.maxConnections();
    this.maxFails = passiveHealth ? group.maxFails() : 0;
    this.failTimeoutNanos = group.failTimeout().toNanos();
    this.listener = group.listener();
    if (previous == null) {
      this.active = new AtomicInteger();
    } else {
      this.active = previous.active;
      this.failed = previous.failed;
      this.failedUntilNanos = previous.failedUntilNanos;
      this.probeDown = previous.probeDown;
    }
  }

  /** The server's URL as configured. */
  public URI url() {
    return server.url();
  }

  /** The opaque id naming this server in {@code cookie}, the proxy's affinity cookie. */
  public String affinityId(AffinityCookie cookie) {
    String id = affinityId;
    if (id == null) {
      id = cookie.serverId(url().toString());
      affinityId = id;
    }
    return id;
  }

  /** {@code host:port} as configured, or {@code unix:} and the socket's path, for log lines. */
  public String authority() {
    return literal instanceof UnixDomainSocketAddress unix ? "unix:" + unix.getPath() : host + ":" + port;
  }

  int weight() {
    return server.weight();
  }

  int active() {
    return active.get();
  }

  /** Whether new connections may go to this server now (its cap aside). */
  boolean healthy(long now) {
    if (probeDown) {
      return false;
    }
    if (failed) {
      if (now - failedUntilNanos < 0) {
        return false;
      }
      recovered();
    }
    return true;
  }

  boolean atCap() {
    return active.get() >= cap;
  }

  /** Takes a connection slot unless the cap is reached. */
  boolean tryAcquire() {
    while (true) {
      int current = active.get();
      if (current >= cap) {
        return false;
      }
      if (active.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  void release() {
    active.decrementAndGet();
  }

  /** A failed try (nginx: fails counted within failTimeout; maxFails of them make the server fail). */
  void recordFailure(long now) {
    if (maxFails == 0) {
      return;
    }
    synchronized (this) {
      if (failed) {
        return;
      }
      if (fails == 0 || now - firstFailNanos > failTimeoutNanos) {
        fails = 0;
        firstFailNanos = now;
      }
      if (++fails < maxFails) {
        return;
      }
      fails = 0;
      failedUntilNanos = now + failTimeoutNanos;
      failed = true;
    }
    log.warn("upstream {} failed {} time(s) within its fail timeout: skipped for {} ms", url(), maxFails,
        failTimeoutNanos / 1_000_000);
    tellListener();
  }

  /** A successful handshake: the failure count starts over. */
  synchronized void recordSuccess() {
    fails = 0;
  }

  private void recovered() {
    synchronized (this) {
      if (!failed) {
        return;
      }
      failed = false;
    }
    log.info("upstream {} is back after its fail timeout", url());
    tellListener();
  }

  /** The active health check's verdict. */
  void probed(boolean up, String why) {
    if (probeDown == !up) {
      return;
    }
    probeDown = !up;
    if (up) {
      log.info("upstream {} is up: health check passed", url());
    } else {
      log.warn("upstream {} is down: health check failed: {}", url(), why);
    }
    tellListener();
  }

  private void tellListener() {
    try {
      listener.onHealthChanged(snapshot(System.nanoTime()));
    } catch (RuntimeException e) {
      log.warn("upstream listener failed", e);
    }
  }

  UpstreamState snapshot(long now) {
    UpstreamState.Health health = probeDown ? UpstreamState.Health.DOWN
        : failed && now - failedUntilNanos < 0 ? UpstreamState.Health.FAILED : UpstreamState.Health.UP;
    return new UpstreamState(url(), weight(), server.backup(), health, active.get());
  }
}
