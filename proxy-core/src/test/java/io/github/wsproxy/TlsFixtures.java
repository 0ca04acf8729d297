package io.github.wsproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.testing.JdkTestClient;
import io.github.wsproxy.testing.RawUpstream;
import io.github.wsproxy.testing.TestCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** Certificates made once per test run by keytool, and TLS echo upstreams, for the TLS tests. */
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

  /** Sends a message of {@code size} bytes and checks that the same bytes come back. */
  static void assertEchoes(JdkTestClient client, int size) throws IOException {
    byte[] message = new byte[size];
    new Random(size).nextBytes(message);
    client.sendBinary(message);
    assertThat(client.awaitBinary(Duration.ofSeconds(10))).isEqualTo(message);
  }

  /** Sends a text message of {@code size} characters and checks that it comes back with {@code suffix}. */
  static void assertEchoesText(JdkTestClient client, int size, String suffix) throws IOException {
    String message = "x".repeat(size);
    client.sendText(message);
    assertThat(client.awaitText(Duration.ofSeconds(10))).isEqualTo(message + suffix);
  }

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

  /**
   * An echo upstream behind TLS (the JDK's SSLServerSocket) presenting {@code identity}; with
   * {@code clientCa}, it requires client certificates that one trusts.
   */
  static RawUpstream tlsEcho(TestCertificate identity, TestCertificate clientCa) throws IOException {
    SSLContext context = clientCa == null ? TestCertificate.context(identity) : TestCertificate.context(identity, clientCa);
    return RawUpstream.startTls(context, clientCa != null, RawUpstream.echo());
  }

  /** The upstream's URL under the name {@code host}. */
  static String wss(RawUpstream upstream, String host) {
    return "wss://" + host + ":" + upstream.port();
  }

  /** The SNI host names the upstream's latest connection asked for. */
  static List<String> serverNames(RawUpstream upstream) {
    List<RawUpstream.Connection> connections = upstream.connections();
    SSLSocket socket = (SSLSocket) connections.get(connections.size() - 1).socket();
    return ((ExtendedSSLSession) socket.getSession()).getRequestedServerNames().stream()
        .map(name -> ((SNIHostName) name).getAsciiName()).toList();
  }
}
