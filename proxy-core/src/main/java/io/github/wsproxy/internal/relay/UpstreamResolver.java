package io.github.wsproxy.internal.relay;

import io.github.wsproxy.internal.loop.EventLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Resolves the upstream's address without blocking an event loop: an IP literal is used as it is;
 * a host name is looked up on one resolver thread (DNS answers may change, so every connection
 * looks it up, as the JDK's cache allows) and the answer is handed back to the asking loop.
 */
public final class UpstreamResolver {
  private final String host;
  private final int port;
  private final InetSocketAddress literal;
  private final ExecutorService lookups;

  public UpstreamResolver(URI upstream) {
    this.host = upstream.getHost();
    this.port = upstream.getPort() >= 0 ? upstream.getPort() : "wss".equalsIgnoreCase(upstream.getScheme()) ? 443 : 80;
    this.literal = isIpLiteral(host) ? new InetSocketAddress(stripBrackets(host), port) : null;
    this.lookups = literal != null ? null : new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), runnable -> {
          Thread thread = new Thread(runnable, "wsproxy-resolver");
          thread.setDaemon(true);
          return thread;
        });
  }

  /** Calls {@code resolved} or {@code failed} on {@code loop} (at once, for an IP literal). */
  void resolve(EventLoop loop, Consumer<InetSocketAddress> resolved, Consumer<UnknownHostException> failed) {
    if (literal != null) {
      resolved.accept(literal);
      return;
    }
    lookups.execute(() -> {
      try {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), port);
        loop.execute(() -> resolved.accept(address));
      } catch (UnknownHostException e) {
        loop.execute(() -> failed.accept(e));
      }
    });
  }

  /** Stops the resolver thread, if any. */
  public void shutdown() {
    if (lookups != null) {
      lookups.shutdownNow();
    }
  }

  private static boolean isIpLiteral(String host) {
    return host.startsWith("[") || host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }
}
