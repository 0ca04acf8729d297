package io.github.wsproxy.examples;

import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.WsProxy;
import io.github.wsproxy.examples.chat.ChatDemo;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CountDownLatch;

/**
 * The standalone proxy: {@code java -jar wsproxy.jar --listen 127.0.0.1:8080 --upstream
 * ws://127.0.0.1:8282}. Without {@code --upstream} it starts a demo echo server behind the proxy.
 * SIGTERM or Ctrl-C closes it gracefully. Exit codes: 0 after a clean stop, 1 when it cannot
 * listen, 2 for a bad command line.
 */
public final class Launcher {

  private Launcher() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs the command line; returns the exit code (blocks while the proxy runs). */
  static int run(String[] args, PrintStream out, PrintStream err) {
    LauncherOptions options;
    try {
      options = LauncherOptions.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("wsproxy: " + e.getMessage());
      return 2;
    }
    if (options.helpRequested()) {
      out.print(LauncherOptions.help());
      return 0;
    }
    if (options.clientUrl() != null) {
      return ConsoleClient.run(options.clientUrl(), System.in, out, err);
    }
    if (options.chatDemoRequested()) {
      return ChatDemo.run(ChatDemo.DEFAULT_PORT, out, err);
    }
    Running running;
    try {
      running = start(options);
    } catch (IllegalArgumentException | IllegalStateException e) {
      err.println("wsproxy: " + e.getMessage());
      return 2;
    } catch (IOException e) {
      err.println("wsproxy: cannot listen: " + e.getMessage());
      return 1;
    }
    out.println(running.banner());
    Runtime.getRuntime().addShutdownHook(new Thread(running::close, "wsproxy-shutdown"));
    running.awaitClosed();
    return 0;
  }

  /**
   * Starts the proxy described by the options, with a demo echo upstream when none was given.
   *
   * @throws IOException when the listen address cannot be bound
   */
  public static Running start(LauncherOptions options) throws IOException {
    DemoEchoUpstream demo = null;
    WsProxy.Builder builder = options.builder();
    try {
      if (!options.upstreamGiven()) {
        demo = DemoEchoUpstream.start(new InetSocketAddress("127.0.0.1", 0));
        builder.upstream(options.upstreamGroup(demo.uri()));
      }
      WsProxy proxy = builder.build();
      proxy.start();
      return new Running(proxy, demo);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeQuietly(demo);
      throw new IOException("interrupted while starting", e);
    } catch (IOException | RuntimeException e) {
      closeQuietly(demo);
      throw e;
    }
  }

  private static void closeQuietly(DemoEchoUpstream demo) {
    if (demo != null) {
      try {
        demo.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A started proxy (and its demo upstream, if any), closed together. */
  public static final class Running implements AutoCloseable {
    private final WsProxy proxy;
    private final DemoEchoUpstream demo;
    private final CountDownLatch closed = new CountDownLatch(1);

    private Running(WsProxy proxy, DemoEchoUpstream demo) {
      this.proxy = proxy;
      this.demo = demo;
    }

    public WsProxy proxy() {
      return proxy;
    }

    /** The URL clients connect to. */
    public URI proxyUri() {
      InetSocketAddress address = proxy.boundAddress();
      return URI.create((proxy.listenTls() == null ? "ws://" : "wss://")
          + address.getAddress().getHostAddress() + ":" + address.getPort() + "/");
    }

    String banner() {
      UpstreamGroup group = proxy.upstreamGroup();
      String upstream = demo != null ? proxy.upstream() + " (built-in echo server)"
          : group.servers().size() == 1 ? proxy.upstream().toString() : group.toString();
      return "WsProxy listening on " + proxyUri() + "\n"
          + "  upstream: " + upstream + "\n"
          + "  try it:   java -jar proxy-examples/target/wsproxy.jar --client " + proxyUri() + "\n"
          + "  stop:     Ctrl-C";
    }

    void awaitClosed() {
      try {
        closed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Closes the proxy gracefully (clients get 1001), then the demo upstream. */
    @Override
    public void close() {
      proxy.close();
      closeQuietly(demo);
      closed.countDown();
    }
  }
}
