package io.github.wsproxy;

import static io.github.wsproxy.TlsFixtures.CLIENT;
import static io.github.wsproxy.TlsFixtures.SERVER;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.wsproxy.internal.tls.TaskCosts;
import io.github.wsproxy.internal.tls.TlsSession;
import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.TestCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The non-blocking TLS engine wrapper on its own, over a real loopback socket pair. */
class TlsSessionTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private final ExecutorService pool = Executors.newSingleThreadExecutor();
  private final AtomicInteger offloaded = new AtomicInteger();
  private final Executor tasks = task -> {
    offloaded.incrementAndGet();
    pool.execute(task);
  };
  private SocketChannel clientChannel;
  private SocketChannel serverChannel;
  private TlsSession client;
  private TlsSession server;

  @BeforeEach
  void connect() throws IOException {
    try (ServerSocketChannel listener = ServerSocketChannel.open()) {
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      clientChannel = SocketChannel.open(listener.getLocalAddress());
      serverChannel = listener.accept();
    }
    for (SocketChannel channel : new SocketChannel[] {clientChannel, serverChannel}) {
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.SO_RCVBUF, 32 * 1024);
      channel.setOption(StandardSocketOptions.SO_SNDBUF, 32 * 1024);
    }
    SSLEngine serverEngine = TestCertificate.context(SERVER, CLIENT).createSSLEngine();
    serverEngine.setUseClientMode(false);
    serverEngine.setNeedClientAuth(true);
    SSLEngine clientEngine = TestCertificate.context(CLIENT, SERVER).createSSLEngine("localhost", 443);
    clientEngine.setUseClientMode(true);
    server = new TlsSession(serverEngine, tasks, new TaskCosts());
    client = new TlsSession(clientEngine, tasks, new TaskCosts());
  }

  @AfterEach
  void close() throws IOException {
    clientChannel.close();
    serverChannel.close();
    pool.shutdownNow();
  }

  @Test
  void handshakesBothWaysWithTasksOffTheCallingThreadAndKeepsTheVerifiedPeers() {
    Await.until(() -> step(client, clientChannel) & step(server, serverChannel), DEADLINE, "both handshakes");

    assertThat(server.peerCertificate().getSubjectX500Principal().getName()).isEqualTo("CN=test-client");
    assertThat(client.peerCertificate().getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
    assertThat(client.protocol()).isEqualTo("TLSv1.3");
    assertThat(offloaded).as("handshake tasks handed to the executor").hasPositiveValue();
  }

  @Test
  void partialWritesWaitForTheSocketAndEverythingArrivesInOrderBeforeCloseNotify() throws IOException {
    Await.until(() -> step(client, clientChannel) & step(server, serverChannel), DEADLINE, "both handshakes");
    client.releaseIdleBuffers();
    server.releaseIdleBuffers(); // idle: the buffers come back as the transfer needs them
    byte[] sent = new byte[4 * 1024 * 1024];
    new Random(5).nextBytes(sent);
    ByteBuffer out = ByteBuffer.wrap(sent);

    int consumed = client.write(clientChannel, out);
    assertThat(consumed).as("a 4 MiB write stops when the socket is full").isLessThan(sent.length);
    assertThat(out.position()).isEqualTo(consumed);

    ByteBuffer received = ByteBuffer.allocate(sent.length);
    ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
    Await.until(() -> {
      try {
        if (client.flush(clientChannel) && out.hasRemaining()) {
          client.write(clientChannel, out);
        }
        chunk.clear();
        int n = server.read(serverChannel, chunk);
        received.put(chunk.flip());
        return n >= 0 && !received.hasRemaining();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, DEADLINE, "all bytes relayed");
    assertThat(received.array()).isEqualTo(sent);

    client.closeQuietly(clientChannel);
    int[] last = {0};
    Await.until(() -> {
      try {
        chunk.clear();
        last[0] = server.read(serverChannel, chunk);
        return last[0] != 0;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, DEADLINE, "close_notify");
    assertThat(last[0]).isEqualTo(-1);
    assertThat(server.hasBufferedInput()).isFalse();
  }

  @Test
  void gatheringWritesSendTheBuffersInOrder() throws IOException {
    Await.until(() -> step(client, clientChannel) & step(server, serverChannel), DEADLINE, "both handshakes");
    ByteBuffer[] parts = {ByteBuffer.wrap("one ".getBytes()), ByteBuffer.allocate(0), ByteBuffer.wrap("two".getBytes())};

    assertThat(client.write(clientChannel, parts, 0, parts.length)).isEqualTo(7);

    ByteBuffer received = ByteBuffer.allocate(64);
    Await.until(() -> {
      try {
        server.read(serverChannel, received);
        return received.position() >= 7;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, DEADLINE, "the gathered bytes");
    assertThat(new String(received.array(), 0, received.position())).isEqualTo("one two");
  }

  /** One non-blocking handshake step; true once done. */
  private static boolean step(TlsSession session, SocketChannel channel) {
    try {
      return session.handshake(channel, () -> {}) == TlsSession.Step.DONE;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
