package io.github.wsproxy.testing;

import io.github.wsproxy.Interceptor;
import io.github.wsproxy.WsProxy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that starts an upstream and a {@link WsProxy} in front of it before each
 * test, and closes them, and every client it handed out, after it.
 *
 * <pre>{@code
 * class MyTest {
 *   @RegisterExtension
 *   final WsProxyExtension ws = WsProxyExtension.echo()
 *       .upstream(u -> u.subprotocols("chat"))
 *       .proxy(p -> p.readTimeout(Duration.ofSeconds(2)));
 *
 *   @Test
 *   void relays() throws Exception {
 *     JdkTestClient client = ws.connectJdk();
 *     client.sendText("hi");
 *     assertThat(client.awaitText(Duration.ofSeconds(5))).isEqualTo("hi");
 *   }
 * }
 * }</pre>
 *
 * <p>By default the upstream is a {@link TestUpstream} echo server; {@link #raw(RawUpstream.Script)}
 * uses a {@link RawUpstream} instead. The proxy listens on 127.0.0.1 on an ephemeral port, with
 * the upstream's URI; the {@link #proxy(Consumer)} customiser runs after those defaults and can
 * override them. Register it on an instance field (one per test); it is not meant for tests that
 * run concurrently on one instance.
 */
public final class WsProxyExtension implements BeforeEachCallback, AfterEachCallback {

  private final RawUpstream.Script rawScript;
  private final List<Consumer<TestUpstream.Builder>> upstreamCustomizers = new ArrayList<>();
  private final List<Consumer<WsProxy.Builder>> proxyCustomizers = new ArrayList<>();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private TestUpstream upstream;
  private RawUpstream rawUpstream;
  private WsProxy proxy;

  private WsProxyExtension(RawUpstream.Script rawScript) {
    this.rawScript = rawScript;
  }

  /**
   * An extension whose upstream is a {@link TestUpstream} (an echo server unless customised).
   *
   * @return a new extension with a {@link TestUpstream}
   */
  public static WsProxyExtension echo() {
    return new WsProxyExtension(null);
  }

  /**
   * An extension whose upstream is a {@link RawUpstream} running {@code script}.
   *
   * @param script what the raw upstream does on each connection
   * @return a new extension with a {@link RawUpstream}
   */
  public static WsProxyExtension raw(RawUpstream.Script script) {
    return new WsProxyExtension(Objects.requireNonNull(script, "script"));
  }

  /**
   * Customises the {@link TestUpstream} before it is built; customisers run in the order added.
   *
   * @param customizer changes the upstream's builder
   * @return this
   * @throws IllegalStateException if this extension uses a {@link RawUpstream}
   */
  public WsProxyExtension upstream(Consumer<TestUpstream.Builder> customizer) {
    if (rawScript != null) {
      throw new IllegalStateException("this extension uses a RawUpstream");
    }
    upstreamCustomizers.add(Objects.requireNonNull(customizer, "customizer"));
    return this;
  }

  /**
   * Customises the proxy after the defaults (listen 127.0.0.1:0, upstream URI) are set;
   * customisers run in the order added.
   *
   * @param customizer changes the proxy's builder
   * @return this
   */
  public WsProxyExtension proxy(Consumer<WsProxy.Builder> customizer) {
    proxyCustomizers.add(Objects.requireNonNull(customizer, "customizer"));
    return this;
  }

  /**
   * Adds an interceptor to the proxy (like {@code proxy(b -> b.interceptor(interceptor))}): the
   * shortest way to test an interceptor of your own against a real upstream and client.
   *
   * @param interceptor the interceptor to add
   * @return this
   */
  public WsProxyExtension interceptor(Interceptor interceptor) {
    Objects.requireNonNull(interceptor, "interceptor");
    return proxy(builder -> builder.interceptor(interceptor));
  }

  /** Starts the upstream, then the proxy. */
  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    try {
      URI upstreamUri;
      if (rawScript != null) {
        rawUpstream = RawUpstream.start(rawScript);
        upstreamUri = rawUpstream.uri();
      } else {
        TestUpstream.Builder builder = TestUpstream.builder();
        upstreamCustomizers.forEach(c -> c.accept(builder));
        upstream = builder.build().start();
        upstreamUri = upstream.uri();
      }
      WsProxy.Builder builder = WsProxy.builder()
          .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
          .upstream(upstreamUri);
      proxyCustomizers.forEach(c -> c.accept(builder));
      WsProxy built = builder.build();
      proxy = built;
      built.start();
    } catch (Exception | Error e) {
      try {
        closeAll();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** Closes every client handed out (newest first), then the proxy, then the upstream. */
  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    closeAll();
  }

  private void closeAll() throws Exception {
    Exception failure = null;
    List<AutoCloseable> toClose = new ArrayList<>();
    for (int i = resources.size() - 1; i >= 0; i--) {
      toClose.add(resources.get(i));
    }
    resources.clear();
    toClose.add(proxy);
    toClose.add(upstream);
    toClose.add(rawUpstream);
    proxy = null;
    upstream = null;
    rawUpstream = null;
    for (AutoCloseable c : toClose) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * The running proxy.
   *
   * @return the proxy
   */
  public WsProxy proxy() {
    return require(proxy, "proxy");
  }

  /**
   * The running {@link TestUpstream}.
   *
   * @return the upstream
   * @throws IllegalStateException outside a test, or if this extension uses a {@link RawUpstream}
   */
  public TestUpstream upstream() {
    return require(upstream, "TestUpstream");
  }

  /**
   * The running {@link RawUpstream}.
   *
   * @return the raw upstream
   * @throws IllegalStateException outside a test, or if this extension uses a {@link TestUpstream}
   */
  public RawUpstream rawUpstream() {
    return require(rawUpstream, "RawUpstream");
  }

  /**
   * {@code ws://127.0.0.1:PORT}, the proxy's address.
   *
   * @return the proxy's URI
   */
  public URI proxyUri() {
    return URI.create("ws://127.0.0.1:" + proxy().port());
  }

  /**
   * {@code ws://127.0.0.1:PORT} followed by {@code path} (which should start with "/").
   *
   * @param path the request path, and query if any
   * @return the proxy's URI with that path
   */
  public URI proxyUri(String path) {
    return URI.create("ws://127.0.0.1:" + proxy().port() + path);
  }

  /**
   * A {@link JdkTestClient} connected to the proxy, closed after the test.
   *
   * @return the connected client
   * @throws IOException if the connection fails or the handshake times out
   */
  public JdkTestClient connectJdk() throws IOException {
    return track(JdkTestClient.connect(proxyUri()));
  }

  /**
   * A {@link JdkTestClient} connected to {@link #proxyUri(String)}, closed after the test.
   *
   * @param path the request path, and query if any
   * @return the connected client
   * @throws IOException if the connection fails or the handshake times out
   */
  public JdkTestClient connectJdk(String path) throws IOException {
    return track(JdkTestClient.connect(proxyUri(path)));
  }

  /**
   * A {@link JwsTestClient} connected to the proxy, closed after the test.
   *
   * @return the connected client
   * @throws IOException if the connection or the handshake fails, or takes over 10 s
   */
  public JwsTestClient connectJwsClient() throws IOException {
    return track(JwsTestClient.connect(proxyUri()));
  }

  /**
   * A {@link JwsTestClient} connected to {@link #proxyUri(String)} with headers, subprotocols and
   * a permessage-deflate offer, closed after the test.
   *
   * @param path the request path, and query if any
   * @param headers extra handshake request headers
   * @param subprotocols the subprotocols offered; possibly empty
   * @param deflate whether to offer permessage-deflate
   * @return the connected client
   * @throws IOException if the connection or the handshake fails, or takes over 10 s
   */
  public JwsTestClient connectJwsClient(
      String path, Map<String, String> headers, List<String> subprotocols, boolean deflate)
      throws IOException {
    return track(JwsTestClient.connect(proxyUri(path), headers, subprotocols, deflate));
  }

  /**
   * A {@link RawClient} connected to the proxy (no handshake sent yet), closed after the test.
   *
   * @return the connected client
   * @throws IOException if the connection fails
   */
  public RawClient connectRaw() throws IOException {
    return track(RawClient.connect(proxy().port()));
  }

  /**
   * Registers anything to be closed after the test (before the proxy); returns it.
   *
   * @param <T> the resource's type
   * @param resource the resource to close; not null
   * @return {@code resource}
   */
  public <T extends AutoCloseable> T track(T resource) {
    resources.add(Objects.requireNonNull(resource, "resource"));
    return resource;
  }

  private static <T> T require(T value, String what) {
    if (value == null) {
      throw new IllegalStateException(what + " is not running (only available during a test)");
    }
    return value;
  }
}
