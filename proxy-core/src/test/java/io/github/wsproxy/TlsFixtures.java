package io.github.wsproxy;

import io.github.wsproxy.testing.TestCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.StandardConstants;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.SSLParametersWebSocketServerFactory;
import org.java_websocket.server.WebSocketServer;

/** Certificates made once per test run by keytool, and a TLS echo upstream, for the TLS tests. */
final class TlsFixtures {
  /** CN=localhost, for dns:localhost and ip:127.0.0.1. */
  static final TestCertificate SERVER;
  /** Another certificate for the same names: the "renewed" one in reload tests, untrusted elsewhere. */
  static final TestCertificate RENEWED;
  /** CN=test-client, named client.test: a client certificate, or a server certificate for the wrong host. */
  static final TestCertificate CLIENT;
  static final Path DIR;

  static {
    try {
      DIR = Files.createTempDirectory("wsproxy-tls");
      Runtime.getRuntime().addShutdownHook(new Thread(TlsFixtures::deleteDir));
      SERVER = TestCertificate.generate(DIR, "server", "localhost", "dns:localhost,ip:127.0.0.1");
      RENEWED = TestCertificate.generate(DIR, "renewed", "localhost", "dns:localhost,ip:127.0.0.1");
      CLIENT = TestCertificate.generate(DIR, "client", "test-client", "dns:client.test");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private TlsFixtures() {}

  /** CPU time of the proxy's first event-loop thread, in nanoseconds. */
  static long loopCpuNanos(WsProxy proxy) {
    String name = "wsproxy-loop-" + proxy.port() + "-0";
    Thread loop = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError("no thread " + name));
    return ManagementFactory.getThreadMXBean().getThreadCpuTime(loop.getId());
  }

  private static void deleteDir() {
    try (Stream<Path> files = Files.walk(DIR)) {
      files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
    } catch (IOException e) {
      // a temp dir left behind
    }
  }

  /** A Java-WebSocket echo server behind TLS that records resources and SNI names. */
  static final class TlsEcho extends WebSocketServer implements AutoCloseable {
    final CountDownLatch started = new CountDownLatch(1);
    final List<String> resources = new CopyOnWriteArrayList<>();
    final List<String> serverNames = new CopyOnWriteArrayList<>();

    private TlsEcho(SSLContext context, boolean needClientAuth) {
      super(new InetSocketAddress("127.0.0.1", 0));
      SSLParameters parameters = context.getDefaultSSLParameters();
      parameters.setNeedClientAuth(needClientAuth);
      parameters.setSNIMatchers(List.of(new SNIMatcher(StandardConstants.SNI_HOST_NAME) {
        @Override
        public boolean matches(SNIServerName name) {
          serverNames.add(((SNIHostName) name).getAsciiName());
          return true;
        }
      }));
      setWebSocketFactory(new SSLParametersWebSocketServerFactory(context, parameters));
      setConnectionLostTimeout(0);
      setReuseAddr(true);
    }

    /** Starts an echo server presenting {@code identity}; with {@code clientCa}, client certificates it issued are required. */
    static TlsEcho start(TestCertificate identity, TestCertificate clientCa) throws InterruptedException {
      TlsEcho echo = clientCa == null
          ? new TlsEcho(TestCertificate.context(identity), false)
          : new TlsEcho(TestCertificate.context(identity, clientCa), true);
      echo.start();
      if (!echo.started.await(10, TimeUnit.SECONDS)) {
        throw new AssertionError("TLS echo upstream did not start");
      }
      return echo;
    }

    String uri(String host) {
      return "wss://" + host + ":" + getPort();
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
      resources.add(handshake.getResourceDescriptor());
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
      conn.send(message);
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {
      conn.send(message);
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {}

    @Override
    public void onError(WebSocket conn, Exception ex) {}

    @Override
    public void onStart() {
      started.countDown();
    }

    @Override
    public void close() throws InterruptedException {
      stop(1000);
    }
  }
}
