package io.github.wsproxy.examples.chat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.wsproxy.WsProxy;
import io.github.wsproxy.examples.interceptors.WordFilter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The browser demo: a chat page served by the JDK's HTTP server, whose WebSocket goes through a
 * WsProxy (with {@link WordFilter} and {@link ChatWelcome}) to a {@link ChatUpstream}. The page
 * listens on 127.0.0.1:8090 unless told otherwise, the proxy on the page's host, the chat server on
 * 127.0.0.1; the proxy admits only the page's own origin (403 for another). Run it with {@code java
 * -cp proxy-examples/target/wsproxy.jar io.github.wsproxy.examples.chat.ChatDemo [PORT]} or {@code
 * java -jar wsproxy.jar --demo chat [--listen HOST:PORT]}, and open the URL it prints in two tabs.
 */
public final class ChatDemo implements AutoCloseable {
  /** The page's port when {@link #main} is given none. */
  public static final int DEFAULT_PORT = 8090;

  private final ChatUpstream upstream;
  private final WsProxy proxy;
  private final HttpServer http;
  private final CountDownLatch closed = new CountDownLatch(1);

  private ChatDemo(ChatUpstream upstream, WsProxy proxy, HttpServer http) {
    this.upstream = upstream;
    this.proxy = proxy;
    this.http = http;
  }

  /**
   * Starts the chat server, the proxy (both on free ports; the proxy on the page's host) and the
   * page's HTTP server on {@code page} (port 0 for any).
   *
   * @throws IOException when a port cannot be bound
   */
  public static ChatDemo start(InetSocketAddress page) throws IOException, InterruptedException {
    ChatUpstream upstream = ChatUpstream.start(new InetSocketAddress("127.0.0.1", 0));
    HttpServer http = null;
    WsProxy proxy = null;
    try {
      http = HttpServer.create(page, 0);
      String host = host(page);
      proxy = WsProxy.builder()
          .listen(new InetSocketAddress(page.getAddress(), 0))
          .upstream(upstream.uri())
          .interceptor(new WordFilter())
          .interceptor(new ChatWelcome())
          .allowedOrigins(List.of("http://" + host + ":" + http.getAddress().getPort(),
              "http://localhost:" + http.getAddress().getPort()))
          .build();
      proxy.start();
      byte[] html = page(URI.create("ws://" + host + ":" + proxy.port() + "/chat"));
      http.createContext("/", exchange -> servePage(exchange, html));
      http.start();
      return new ChatDemo(upstream, proxy, http);
    } catch (IOException | RuntimeException e) {
      if (http != null) {
        http.stop(0);
      }
      if (proxy != null) {
        proxy.close();
      }
      upstream.close();
      throw e;
    }
  }

  /** Starts the demo, prints the page's URL and runs until Ctrl-C. */
  public static void main(String[] args) {
    if (args.length > 1 || args.length == 1 && !args[0].matches("\\d{1,5}")) {
      System.err.println("usage: ChatDemo [PORT]   (the page's port on 127.0.0.1, default " + DEFAULT_PORT + ")");
      System.exit(2);
    }
    int port = args.length == 1 ? Integer.parseInt(args[0]) : DEFAULT_PORT;
    int code = run(new InetSocketAddress("127.0.0.1", port), System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * Runs the demo with its page on {@code page} until the JVM shuts down (Ctrl-C); returns the exit
   * code: 0 after a clean stop, 1 when a port cannot be bound.
   */
  public static int run(InetSocketAddress page, PrintStream out, PrintStream err) {
    ChatDemo demo;
    try {
      demo = start(page);
    } catch (IOException e) {
      err.println("wsproxy: chat demo: cannot listen on " + host(page) + ":" + page.getPort() + ": " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(demo::close, "chat-demo-shutdown"));
    out.println(demo.banner());
    try {
      demo.closed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** The page to open in a browser. */
  public URI pageUri() {
    return URI.create("http://" + host(http.getAddress()) + ":" + http.getAddress().getPort() + "/");
  }

  /** The proxy's WebSocket URL the page connects to (add {@code ?room=NAME&name=WHO}). */
  public URI proxyUri() {
    return URI.create("ws://" + host(http.getAddress()) + ":" + proxy.port() + "/chat");
  }

  /** The host part of a URL for an address: 127.0.0.1 for the wildcard address, brackets for IPv6. */
  private static String host(InetSocketAddress address) {
    if (address.getAddress() == null || address.getAddress().isAnyLocalAddress()) {
      return "127.0.0.1";
    }
    String host = address.getAddress().getHostAddress();
    return host.contains(":") ? "[" + host + "]" : host;
  }

  /** What {@link #main} prints: where to point the browser, and what sits behind it. */
  public String banner() {
    return "WsProxy chat demo: open " + pageUri() + " in two browser tabs and join the same room\n"
        + "  page -> proxy " + proxyUri() + " (WordFilter masks darn and heck, ChatWelcome greets)"
        + " -> chat server " + upstream.uri() + "\n"
        + "  stop: Ctrl-C";
  }

  /** Stops the page's server, the proxy (clients get 1001) and the chat server. */
  @Override
  public void close() {
    http.stop(0);
    proxy.close();
    try {
      upstream.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closed.countDown();
    }
  }

  private static byte[] page(URI proxyUri) {
    try (InputStream in = ChatDemo.class.getResourceAsStream("chat.html")) {
      if (in == null) {
        throw new IllegalStateException("chat.html is missing from the classpath");
      }
      String html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return html.replace("${PROXY_URL}", proxyUri.toString()).getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void servePage(HttpExchange exchange, byte[] page) throws IOException {
    try (exchange) {
      if (!exchange.getRequestURI().getPath().equals("/")) {
        exchange.sendResponseHeaders(404, -1);
      } else if (!exchange.getRequestMethod().equals("GET")) {
        exchange.getResponseHeaders().set("Allow", "GET");
        exchange.sendResponseHeaders(405, -1);
      } else {
        exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(200, page.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(page);
        }
      }
    }
  }
}
