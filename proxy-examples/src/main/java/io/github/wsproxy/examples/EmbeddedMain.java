package io.github.wsproxy.examples;

import io.github.wsproxy.WsProxy;
import io.github.wsproxy.examples.interceptors.BearerTokenAuth;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;

/** The README's embedding example: a proxy with token auth in a plain {@code main}. */
public final class EmbeddedMain {
  private EmbeddedMain() {}

  public static void main(String[] args) throws Exception {
    String upstream = args.length > 0 ? args[0] : "ws://127.0.0.1:8282";
    WsProxy proxy = WsProxy.builder()
        .listen(new InetSocketAddress("127.0.0.1", 8080))
        .upstream(upstream)
        .readTimeout(Duration.ofMinutes(5))
        .clientPingInterval(Duration.ofSeconds(30))
        .interceptor(new BearerTokenAuth(Set.of("s3cret")::contains))
        .build();
    proxy.start();
    Runtime.getRuntime().addShutdownHook(new Thread(proxy::close));
    System.out.println("proxying ws://127.0.0.1:" + proxy.port() + "/ -> " + upstream);
    Thread.currentThread().join();
  }
}
