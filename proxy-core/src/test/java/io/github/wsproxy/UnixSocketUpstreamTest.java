package io.github.wsproxy;

import static io.github.wsproxy.Resources.uri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.github.wsproxy.internal.http.WebSocketKeys;
import io.github.wsproxy.testing.Await;
import io.github.wsproxy.testing.JdkTestClient;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Upstream servers on UNIX domain sockets: {@code ws+unix:/path/to/socket[:/prefix]}. */
class UnixSocketUpstreamTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @RegisterExtension
  final Resources resources = new Resources();

  @Test
  void relaysToAWebSocketServerOnAUnixSocketWithThePathPrefixAfterTheColon(@TempDir Path dir) throws Exception {
    UnixEcho echo = resources.track(new UnixEcho(dir.resolve("app.sock")));
    WsProxy proxy = resources.proxy(p -> p.upstream("ws+unix:" + echo.path + ":/app"));

    try (JdkTestClient client = JdkTestClient.connect(uri(proxy, "/room?id=7"))) {
      client.sendText("over a unix socket");
      assertThat(client.awaitText(DEADLINE)).isEqualTo("over a unix socket");
    }
    assertThat(echo.requests.get(0)).startsWith("GET /app/room?id=7 HTTP/1.1").contains("\r\nHost: localhost\r\n");
    assertThat(proxy.upstream()).hasScheme("ws+unix");
  }

  @Test
  void theHealthCheckProbesTheSocketAndMarksItDownWhenItIsGone(@TempDir Path dir) throws Exception {
    UnixEcho echo = new UnixEcho(dir.resolve("health.sock"));
    WsProxy proxy = resources.proxy(p -> p.upstream(UpstreamGroup.builder().server("ws+unix:" + echo.path)
        .healthCheck(HealthCheck.webSocket("/health").interval(Duration.ofMillis(100)).timeout(Duration.ofSeconds(1)))
        .build()));
    Await.until(() -> echo.requests.stream().anyMatch(r -> r.startsWith("GET /health ")), DEADLINE, "a probe");
    Await.until(proxy::isReady, DEADLINE, "ready");
    assertThat(proxy.upstreamStates().get(0).health()).isEqualTo(UpstreamState.Health.UP);

    echo.close();

    Await.until(() -> proxy.upstreamStates().get(0).health() == UpstreamState.Health.DOWN, DEADLINE, "down");
    assertThat(proxy.isReady()).isFalse();
    assertThat(JdkTestClient.handshakeFailureStatus(uri(proxy, "/"))).isIn(502, 503);
  }

  @Test
  void aUnixSocketUrlNeedsAnAbsoluteSocketPath() {
    assertThatIllegalArgumentException().isThrownBy(() -> UpstreamGroup.builder().server("ws+unix:relative.sock"))
        .withMessageStartingWith("upstream: a UNIX socket URL is ws+unix:/path/to/socket");
    assertThatIllegalArgumentException().isThrownBy(() -> UpstreamGroup.builder().server("ws+unix://host/app.sock"))
        .withMessageStartingWith("upstream: a UNIX socket URL is");
    assertThat(UpstreamGroup.builder().server("ws+unix:/run/app.sock:/api").build().servers().get(0).url().getPath())
        .isEqualTo("/run/app.sock:/api");
  }

  /** A WebSocket echo server on a UNIX domain socket: one thread per connection, small frames. */
  private static final class UnixEcho implements AutoCloseable {
    final Path path;
    final List<String> requests = new CopyOnWriteArrayList<>();
    private final ServerSocketChannel server;
    private final List<SocketChannel> accepted = new CopyOnWriteArrayList<>();

    UnixEcho(Path path) throws IOException {
      this.path = path;
      this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(path));
      Thread acceptor = new Thread(this::acceptAll, "unix-echo");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void acceptAll() {
      try {
        while (true) {
          SocketChannel channel = server.accept();
          accepted.add(channel);
          Thread thread = new Thread(() -> serve(channel), "unix-echo-connection");
          thread.setDaemon(true);
          thread.start();
        }
      } catch (IOException e) {
        // closed
      }
    }

    private void serve(SocketChannel channel) {
      try (channel) {
        DataInputStream in = new DataInputStream(Channels.newInputStream(channel));
        OutputStream out = Channels.newOutputStream(channel);
        String head = readHead(in);
        requests.add(head);
        String key = null;
        for (String line : head.split("\r\n")) {
          if (line.toLowerCase(Locale.ROOT).startsWith("sec-websocket-key:")) {
            key = line.substring(line.indexOf(':') + 1).strip();
          }
        }
        out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: " + WebSocketKeys.accept(key) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        while (true) {
          int first = in.readUnsignedByte();
          int second = in.readUnsignedByte();
          long length = second & 0x7F;
          if (length == 126) {
            length = in.readUnsignedShort();
          } else if (length == 127) {
            length = in.readLong();
          }
          byte[] mask = new byte[4];
          if ((second & 0x80) != 0) {
            in.readFully(mask);
          }
          byte[] payload = new byte[(int) length];
          in.readFully(payload);
          for (int i = 0; i < payload.length; i++) {
            payload[i] ^= mask[i % 4];
          }
          ByteArrayOutputStream frame = new ByteArrayOutputStream();
          frame.write(first);
          if (payload.length < 126) {
            frame.write(payload.length);
          } else {
            frame.write(126);
            frame.write(payload.length >> 8);
            frame.write(payload.length);
          }
          frame.write(payload);
          out.write(frame.toByteArray());
          if ((first & 0x0F) == 0x8) {
            return;
          }
        }
      } catch (IOException e) {
        // the peer went away
      }
    }

    private static String readHead(InputStream in) throws IOException {
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("closed before the head ended");
        }
        head.append((char) b);
      }
      return head.toString();
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (SocketChannel channel : accepted) {
        channel.close();
      }
      java.nio.file.Files.deleteIfExists(path);
    }
  }
}
