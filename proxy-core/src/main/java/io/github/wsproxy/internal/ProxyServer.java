package io.github.wsproxy.internal;

import io.github.wsproxy.UpstreamState;
import io.github.wsproxy.ConnectionSnapshot;
import io.github.wsproxy.WsProxy;
import io.github.wsproxy.internal.intercept.InterceptorChain;
import io.github.wsproxy.internal.limits.ClientLimits;
import io.github.wsproxy.internal.loop.EventLoop;
import io.github.wsproxy.internal.relay.LoopConnections;
import io.github.wsproxy.internal.tls.TlsContexts;
import io.github.wsproxy.internal.upstream.HealthChecker;
import io.github.wsproxy.internal.upstream.UpstreamPool;
import io.github.wsproxy.internal.upstream.UpstreamPools;
import io.github.wsproxy.internal.upstream.UpstreamResolver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running engine behind a {@link WsProxy}: the listen socket, accepted on the first event loop
 * and handed round-robin to all loops, and the loops themselves.
 */
public final class ProxyServer {
  private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
  private static final int MAX_ACCEPTS_PER_WAKEUP = 64;

  private final WsProxy config;
  private final ServerSocketChannel listener;
  private final List<LoopConnections> loops = new ArrayList<>();
  private final UpstreamResolver resolver = new UpstreamResolver();
  private final UpstreamPool upstreams;
  private final HealthChecker healthChecker;
  private final TlsContexts tls;
  private final InetSocketAddress boundAddress;
  private int nextLoop;

  private ProxyServer(WsProxy config) throws IOException {
    this.config = config;
    this.upstreams = new UpstreamPool(config.upstreamGroup(), resolver);
    this.listener = ServerSocketChannel.open();
    TlsContexts contexts = null;
    try {
      listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      listener.bind(config.listenAddress(), config.acceptBacklog());
      listener.configureBlocking(false);
      this.boundAddress = (InetSocketAddress) listener.getLocalAddress();
      contexts = new TlsContexts(config, "wsproxy-tls-" + boundAddress.getPort());
      InterceptorChain chain = new InterceptorChain(config.interceptors());
      UpstreamPools pools = new UpstreamPools(upstreams, resolver);
      ClientLimits limits = new ClientLimits(config.maxConnections(), config.maxConnectionsPerIp(),
          config.maxHandshakesPerSecondPerIp());
      for (int i = 0; i < config.eventLoops(); i++) {
        EventLoop loop = new EventLoop("wsproxy-loop-" + boundAddress.getPort() + "-" + i);
        loops.add(new LoopConnections(config, loop, pools, chain, limits, contexts));
      }
      loops.get(0).loop().onTick(pools::tick);
      loops.get(0).loop().onTick(contexts::onTick);
      this.healthChecker = config.upstreamGroup().healthCheck() == null
          ? null : new HealthChecker(upstreams, loops.get(0).loop(), contexts);
    } catch (IOException | RuntimeException e) {
      listener.close();
      resolver.shutdown();
      if (contexts != null) {
        contexts.close();
      }
      throw e;
    }
    this.tls = contexts;
  }

  /** Binds, starts the loops and returns once the listen socket accepts connections. */
  public static ProxyServer start(WsProxy config) throws IOException {
    ProxyServer server = new ProxyServer(config);
    for (LoopConnections loop : server.loops) {
      loop.loop().start();
    }
    EventLoop acceptLoop = server.loops.get(0).loop();
    CountDownLatch registered = new CountDownLatch(1);
    acceptLoop.execute(() -> {
      acceptLoop.register(server.listener, SelectionKey.OP_ACCEPT, key -> server.acceptAll());
      registered.countDown();
    });
    try {
      registered.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdown();
      throw new IOException("interrupted while starting", e);
    }
    log.info("WsProxy listening on {}{}:{} -> {}", server.tls.listenerTls() ? "wss://" : "ws://",
        server.boundAddress.getAddress().getHostAddress(), server.boundAddress.getPort(), config.upstreamGroup());
    return server;
  }

  public InetSocketAddress boundAddress() {
    return boundAddress;
  }

  /** The TLS contexts of this server (certificate reload). */
  public TlsContexts tls() {
    return tls;
  }

  /** Snapshots of the upstream servers' state. */
  public List<UpstreamState> upstreamStates() {
    return upstreams.states();
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
    EventLoop acceptLoop = loops.get(0).loop();
    acceptLoop.execute(this::closeListener);
    if (healthChecker != null) {
      acceptLoop.execute(healthChecker::stop);
    }
    for (LoopConnections connections : loops) {
      connections.loop().execute(connections::goAway);
    }
    long deadline = System.nanoTime() + config.closeTimeout().toNanos();
    for (LoopConnections connections : loops) {
      while (connections.count() > 0 && System.nanoTime() < deadline) {
        awaitBriefly();
      }
    }
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
    closeListener();
    resolver.shutdown();
    tls.close();
    log.info("WsProxy on {} stopped", boundAddress);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void acceptAll() {
    for (int i = 0; i < MAX_ACCEPTS_PER_WAKEUP; i++) {
      SocketChannel channel;
      try {
        channel = listener.accept();
      } catch (IOException e) {
        log.warn("accept failed: {}", e.toString());
        return;
      }
      if (channel == null) {
        return;
      }
      LoopConnections target = loops.get(nextLoop);
      nextLoop = (nextLoop + 1) % loops.size();
      if (target.loop().inLoop()) {
        target.accept(channel);
      } else {
        target.loop().execute(() -> target.accept(channel));
      }
    }
  }

  private void closeListener() {
    try {
      listener.close();
    } catch (IOException e) {
      log.debug("closing the listen socket", e);
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
