package io.github.wsproxy;

import io.github.wsproxy.testing.TestUpstream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test starts (upstreams, proxies, clients), closed after each test in reverse order:
 * {@code @RegisterExtension final Resources resources = new Resources();}.
 */
final class Resources implements AfterEachCallback {
  private final List<AutoCloseable> open = new ArrayList<>();

  /** Closes the resource after the test; returns it. */
  <T extends AutoCloseable> T track(T resource) {
    open.add(resource);
    return resource;
  }

  /** A started echo upstream. */
  TestUpstream echo() throws Exception {
    return track(TestUpstream.startEcho());
  }

  /** A started proxy on an ephemeral loopback port with two event loops, configured further by {@code configure}. */
  WsProxy proxy(UnaryOperator<WsProxy.Builder> configure) throws Exception {
    WsProxy proxy = track(configure.apply(WsProxy.builder().listen(new InetSocketAddress("127.0.0.1", 0))
        .eventLoops(2)).build());
    proxy.start();
    return proxy;
  }

  /** The proxy's URL for a request target. */
  static URI uri(WsProxy proxy, String target) {
    return URI.create("ws://127.0.0.1:" + proxy.port() + target);
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    open.clear();
  }
}
