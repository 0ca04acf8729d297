package io.github.wsproxy.internal;

import io.github.wsproxy.ConnectionSnapshot;
import io.github.wsproxy.UpstreamState;
import io.github.wsproxy.internal.config.Listener;
import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.limits.ClientLimits;
import io.github.wsproxy.internal.loop.Accepted;
import io.github.wsproxy.internal.loop.EventLoop;
import io.github.wsproxy.internal.loop.Listening;
import io.github.wsproxy.internal.loop.TransportProvider;
import io.github.wsproxy.internal.loop.Transports;
import io.github.wsproxy.internal.relay.LoopConnections;
import io.github.wsproxy.internal.route.Routing;
import io.github.wsproxy.internal.tls.TlsContexts;
import io.github.wsproxy.internal.upstream.ServerState;
import io.github.wsproxy.internal.upstream.UpstreamResolver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running engine behind a {@code WsProxy}: the listen sockets, accepted on the first event
 * loop and handed round-robin to all loops, and the loops themselves.
 */
public final class ProxyServer {
  private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
  private static final int MAX_ACCEPTS_PER_WAKEUP = 64;
  /** The first pause of accepting after an accept error; it doubles while accepting keeps failing. */
  private static final long FIRST_ACCEPT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long MAX_ACCEPT_PAUSE_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** The settings current for new connections; replaced by {@link #reconfigure}. */
  private volatile ProxySettings config;
  private final List<Acceptor> acceptors = new ArrayList<>();
  private final List<LoopConnections> loops = new ArrayList<>();
  private final UpstreamResolver resolver = new UpstreamResolver();
  private final ClientLimits limits;
  private final Routing routing;
  private final TlsContexts tls;
  /** The transport of every loop and listen socket, chosen once at start. */
  private final TransportProvider transport;
  private int nextLoop;

  /** One listen socket, the index of its listener in the settings, and its accept back-off. */
  private final class Acceptor {
    final int index;
    final Listening socket;
    final InetSocketAddress boundAddress;
    /** Created up front: when accept fails for lack of descriptors, loading a class may fail too. */
    final Runnable resume = this::resume;
    /** Accept errors in a row (reset by the next accepted connection), and the pause after the last. */
    int failures;
    long pauseNanos;

    Acceptor(int index, Listener listener, int backlog) throws IOException {
      this.index = index;
      this.socket = transport.listen(listener.address(), backlog);
      this.boundAddress = socket.localAddress();
    }

    void acceptAll() {
      for (int i = 0; i < MAX_ACCEPTS_PER_WAKEUP; i++) {
        Accepted accepted;
        try {
          accepted = socket.accept();
        } catch (IOException e) {
          pause(e);
          return;
        }
        if (accepted == null) {
          return;
        }
        if (failures > 0) {
          log.info("accepting on {} again after {} failed accepts", boundAddress, failures);
          failures = 0;
        }
        LoopConnections target = loops.get(nextLoop);
        nextLoop = (nextLoop + 1) % loops.size();
        if (target.loop().inLoop()) {
          target.accept(accepted, index);
        } else {
          target.loop().execute(() -> target.accept(accepted, index));
        }
      }
    }

    /**
     * An accept failed (out of file descriptors, typically): the listen socket is not watched for a
     * pause that starts at 10 ms and doubles up to 1 s while accepting keeps failing. Waiting
     * clients stay in the backlog meanwhile; the loop neither spins nor floods the log (one line
     * per pause), and accepts again within a pause of descriptors coming free.
     */
    private void pause(IOException e) {
      if (!socket.isOpen()) {
        return;
      }
      pauseNanos = failures == 0 ? FIRST_ACCEPT_PAUSE_NANOS : Math.min(pauseNanos * 2, MAX_ACCEPT_PAUSE_NANOS);
      failures++;
      log.warn("accept failed ({} in a row): {}; not accepting for {} ms", failures, e.toString(),
          TimeUnit.NANOSECONDS.toMillis(pauseNanos));
      socket.interestOps(0);
      loops.get(0).loop().schedule(pauseNanos, resume);
    }

    private void resume() {
      if (socket.isOpen()) {
        socket.interestOps(Listening.OP_ACCEPT);
      }
    }

    void close() {
      socket.close();
    }

    @Override
    public String toString() {
      return (tls.listenerTls(index) ? "wss://" : "ws://") + boundAddress.getAddress().getHostAddress() + ":"
          + boundAddress.getPort();
    }
  }

  private ProxyServer(ProxySettings config) throws IOException {
    this.config = config;
    this.transport = Transports.provider(config.transport());
    TlsContexts contexts = null;
    try {
      List<Listener> listeners = config.listeners();
      for (int i = 0; i < listeners.size(); i++) {
        acceptors.add(new Acceptor(i, listeners.get(i), config.acceptBacklog()));
      }
      int port = acceptors.get(0).boundAddress.getPort();
      contexts = new TlsContexts(config, "wsproxy-tls-" + port);
      this.limits = new ClientLimits(config.maxConnections(), config.maxConnectionsPerIp(),
          config.maxHandshakesPerSecondPerIp(), config.trustedProxies());
      List<EventLoop> eventLoops = new ArrayList<>();
      for (int i = 0; i < config.eventLoops(); i++) {
        eventLoops.add(new EventLoop("wsproxy-loop-" + port + "-" + i, transport));
      }
      this.routing = new Routing(config, resolver, eventLoops.get(0), contexts);
      for (EventLoop loop : eventLoops) {
        loops.add(new LoopConnections(config, loop, routing, limits, contexts));
      }
      loops.get(0).loop().onTick(contexts::onTick);
    } catch (IOException | RuntimeException e) {
      acceptors.forEach(Acceptor::close);
      resolver.shutdown();
      if (contexts != null) {
        contexts.close();
      }
      throw e;
    }
    this.tls = contexts;
  }

  /** Binds every listener, starts the loops and returns once the listen sockets accept connections. */
  public static ProxyServer start(ProxySettings config) throws IOException {
    ProxyServer server = new ProxyServer(config);
    for (LoopConnections loop : server.loops) {
      loop.loop().start();
    }
    EventLoop acceptLoop = server.loops.get(0).loop();
    CompletableFuture<Void> registered = new CompletableFuture<>();
    acceptLoop.execute(() -> {
      try {
        for (Acceptor acceptor : server.acceptors) {
          acceptor.socket.register(acceptLoop.transport(), readyOps -> acceptor.acceptAll());
        }
        registered.complete(null);
      } catch (IOException | RuntimeException e) {
        registered.completeExceptionally(e);
      }
    });
    try {
      registered.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdown();
      throw new IOException("interrupted while starting", e);
    } catch (ExecutionException e) {
      server.shutdown();
      throw new IOException("cannot listen: " + e.getCause().getMessage(), e.getCause());
    }
    log.info("WsProxy listening on {} -> {} (transport {})", server.listening(),
        config.routes().isEmpty() ? config.upstreamGroup() : config.routes(), server.transport.name());
    return server;
  }

  private String listening() {
    return acceptors.stream().map(Acceptor::toString).collect(Collectors.joining(", "));
  }

  /** The first listener's bound address. */
  public InetSocketAddress boundAddress() {
    return acceptors.get(0).boundAddress;
  }

  /** Every listener's bound address, in the settings' order. */
  public List<InetSocketAddress> boundAddresses() {
    return acceptors.stream().map(acceptor -> acceptor.boundAddress).toList();
  }

  /** The TLS contexts of this server (certificate reload). */
  public TlsContexts tls() {
    return tls;
  }

  /** Snapshots of the state of a route's servers ({@code ""}: the proxy's own upstream). */
  public List<UpstreamState> upstreamStates(String route) {
    return routing.states(route);
  }

  /** Whether a server of the current routing takes new connections. */
  public boolean anyServerUp() {
    return routing.anyServerUp();
  }

  /**
   * Gives new connections the settings of {@code next} (whose listeners, event loops and backlog
   * must be this server's: see {@link ProxySettings#reloadableFrom}): certificates and upstream
   * trust, limits, routes, upstream, interceptors, timeouts and every other setting; open
   * connections keep theirs. Connections to servers that are gone are closed with 1001 after the
   * drain timeout, if one is configured, spread over the close spread window.
   *
   * @throws IllegalArgumentException when a listener's certificate files cannot be used; then
   *     nothing changed
   */
  public synchronized void reconfigure(ProxySettings next) {
    tls.reconfigure(next);
    limits.reconfigure(next.maxConnections(), next.maxConnectionsPerIp(), next.maxHandshakesPerSecondPerIp(),
        next.trustedProxies());
    for (LoopConnections connections : loops) {
      connections.reconfigure(next);
    }
    config = next;
    Set<ServerState> removed = new HashSet<>(routing.replace(next));
    log.info("WsProxy on {} reconfigured: {}", listening(), next.routes().isEmpty() ? next.upstreamGroup() : next.routes());
    if (removed.isEmpty() || next.drainTimeout().isZero()) {
      return;
    }
    long start = System.nanoTime() + next.drainTimeout().toNanos();
    long window = next.closeSpread().toNanos();
    for (LoopConnections connections : loops) {
      connections.loop().execute(() -> connections.drain(removed, start, window));
    }
  }

  /** Snapshots of every live connection, gathered on each loop; call from outside the loops. */
  public List<ConnectionSnapshot> connections() {
    List<ConnectionSnapshot> all = new ArrayList<>();
    for (List<ConnectionSnapshot> perLoop : onEveryLoop(LoopConnections::snapshots)) {
      all.addAll(perLoop);
    }
    all.sort(Comparator.comparingLong(ConnectionSnapshot::id));
    return all;
  }

  /** Closes the connection with this id on whichever loop holds it; false when none does. */
  public boolean closeConnection(long id, int code, String reason) {
    return onEveryLoop(connections -> connections.close(id, code, reason)).contains(true);
  }

  /** Runs {@code task} on every loop and waits for the answers (5 s at most each). */
  private <T> List<T> onEveryLoop(Function<LoopConnections, T> task) {
    for (LoopConnections connections : loops) {
      if (connections.loop().inLoop()) {
        throw new IllegalStateException("called on an event loop: call it from an application thread");
      }
    }
    List<CompletableFuture<T>> answers = new ArrayList<>();
    for (LoopConnections connections : loops) {
      CompletableFuture<T> answer = new CompletableFuture<>();
      connections.loop().execute(() -> answer.complete(task.apply(connections)));
      answers.add(answer);
    }
    List<T> results = new ArrayList<>();
    for (CompletableFuture<T> answer : answers) {
      try {
        results.add(answer.get(5, TimeUnit.SECONDS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while asking the event loops", e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("an event loop did not answer", e);
      }
    }
    return results;
  }

  /** Stops accepting, closes connections gracefully within the close timeout, stops the loops. */
  public void shutdown() {
    shutdown(0, 0);
  }

  /**
   * Stops accepting and lets connections end by themselves for {@code graceNanos}; then sends the
   * rest 1001, spread over {@code spreadNanos}, waits up to the close timeout for their close
   * handshakes, and stops the loops.
   */
  public void shutdown(long graceNanos, long spreadNanos) {
    EventLoop acceptLoop = loops.get(0).loop();
    acceptLoop.execute(this::closeListeners);
    acceptLoop.execute(routing::stop);
    awaitNoConnections(System.nanoTime() + graceNanos);
    long now = System.nanoTime();
    for (LoopConnections connections : loops) {
      connections.loop().execute(() -> connections.goAway(now, spreadNanos));
    }
    awaitNoConnections(now + spreadNanos + config.closeTimeout().toNanos());
    CountDownLatch aborted = new CountDownLatch(loops.size());
    for (LoopConnections connections : loops) {
      connections.loop().execute(() -> {
        connections.abortAll();
        aborted.countDown();
      });
    }
    boolean interrupted = false;
    try {
      aborted.await(config.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
      for (LoopConnections connections : loops) {
        connections.loop().stop();
      }
      for (LoopConnections connections : loops) {
        connections.loop().join();
      }
    } catch (InterruptedException e) {
      interrupted = true;
    }
    closeListeners();
    resolver.shutdown();
    tls.close();
    log.info("WsProxy on {} stopped", listening());
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeListeners() {
    acceptors.forEach(Acceptor::close);
  }

  private void awaitNoConnections(long deadline) {
    for (LoopConnections connections : loops) {
      while (connections.count() > 0 && System.nanoTime() - deadline < 0) {
        awaitBriefly();
      }
    }
  }

  private static void awaitBriefly() {
    try {
      TimeUnit.MILLISECONDS.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
