package io.github.wsproxy.internal.upstream;

import io.github.wsproxy.internal.loop.EventLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Resolves upstream servers' addresses without blocking an event loop: an IP literal or a UNIX
 * domain socket is used as it is; a host name is looked up on one resolver thread, started on first use and gone after 10 s
 * idle (DNS answers may change, so every connection looks it up, as the JDK's cache allows), and
 * the answer is handed back to the asking loop.
 */
public final class UpstreamResolver {
  private final ExecutorService lookups = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS,
      new LinkedBlockingQueue<>(), runnable -> {
        Thread thread = new Thread(runnable, "wsproxy-resolver");
        thread.setDaemon(true);
        return thread;
      });

  /** Calls {@code resolved} or {@code failed} on {@code loop} (at once, for an IP literal). */
  public void resolve(ServerState server, EventLoop loop, Consumer<SocketAddress> resolved,
      Consumer<UnknownHostException> failed) {
    if (server.literal != null) {
      resolved.accept(server.literal);
      return;
    }
    lookups.execute(() -> {
      try {
        SocketAddress address = new InetSocketAddress(InetAddress.getByName(server.host), server.port);
        loop.execute(() -> resolved.accept(address));
      } catch (UnknownHostException e) {
        loop.execute(() -> failed.accept(e));
      }
    });
  }

  /** Stops the resolver thread, if any. */
  public void shutdown() {
    lookups.shutdownNow();
  }

  /** The address of an IP-literal host, or null for a host name. */
  static InetSocketAddress literal(String host, int port) {
    if (host.startsWith("[")) {
      return new InetSocketAddress(host.substring(1, host.length() - 1), port);
    }
    return host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") ? new InetSocketAddress(host, port) : null;
  }
}
