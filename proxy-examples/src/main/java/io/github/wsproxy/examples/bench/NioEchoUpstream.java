package io.github.wsproxy.examples.bench;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The benchmark's echo upstream: a minimal WebSocket server on JDK NIO, {@code threads} selector
 * threads, that echoes every data frame (unmasked, same opcode and FIN), answers pings with pongs
 * and closes with the same close frame. It exists because the Java-WebSocket server loses an echo
 * now and then under a ping-pong load (a write demand raised by its worker while its selector
 * finishes a write is dropped, so the reply sits in its queue until the next message), which
 * silently lowers the messages in flight.
 *
 * <p>A connection whose first request is not a WebSocket upgrade is served as plain HTTP/1.1 with
 * keep-alive instead: {@code GET /1k} answers 200 with 1 KiB, {@code GET /bytes?n=N} with N bytes
 * written as the socket takes them, {@code POST /sink} reads and discards the body ({@code
 * Content-Length} or chunked) and answers 200 with its length in decimal, {@code GET /poll} never
 * answers (a long poll held until the connection closes), anything else 404. Trusted peers only:
 * it checks little.
 */
public final class NioEchoUpstream implements AutoCloseable {
  private static final int BUFFER = 32 * 1024;
  private static final byte[] GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11".getBytes(StandardCharsets.US_ASCII);
  /** Room in {@code out} needed before an HTTP request is read: its response head, with 1 KiB of body. */
  private static final int RESPONSE_ROOM = 2048;
  private static final byte[] ZEROS = new byte[BUFFER];
  private static final byte[] OK_1K = response(200, new byte[1024]);
  private static final byte[] NOT_FOUND = response(404, new byte[0]);

  private final ServerSocketChannel server;
  private final Loop[] loops;
  private final Thread acceptor;

  private NioEchoUpstream(ServerSocketChannel server, Loop[] loops) {
    this.server = server;
    this.loops = loops;
    this.acceptor = new Thread(this::accept, "echo-accept");
  }

  /** Accepts on {@code port} of 127.0.0.1 forever, handing connections to the loops round-robin. */
  public static void run(int port, int threads) throws IOException, InterruptedException {
    NioEchoUpstream upstream = start(new InetSocketAddress("127.0.0.1", port), threads);
    System.out.println("echo upstream on ws://127.0.0.1:" + upstream.port());
    upstream.acceptor.join();
  }

  /** Starts accepting on {@code bind} with {@code threads} selector threads, until {@link #close()}. */
  static NioEchoUpstream start(InetSocketAddress bind, int threads) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    Loop[] loops = new Loop[threads];
    try {
      server.bind(bind, 4096);
      for (int i = 0; i < threads; i++) {
        loops[i] = new Loop();
      }
    } catch (IOException e) {
      server.close();
      throw e;
    }
    NioEchoUpstream upstream = new NioEchoUpstream(server, loops);
    for (int i = 0; i < threads; i++) {
      new Thread(loops[i], "echo-loop-" + i).start();
    }
    upstream.acceptor.start();
    return upstream;
  }

  /** The port it accepts on. */
  int port() {
    return server.socket().getLocalPort();
  }

  /** Stops accepting and closes every connection; the threads end. */
  @Override
  public void close() throws IOException {
    server.close();
    for (Loop loop : loops) {
      loop.closing = true;
      loop.selector.wakeup();
    }
  }

  private void accept() {
    try {
      for (int next = 0; ; next = (next + 1) % loops.length) {
        SocketChannel channel = server.accept();
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.configureBlocking(false);
        loops[next].add(channel);
      }
    } catch (IOException e) {
      if (server.isOpen()) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static final class Loop implements Runnable {
    private final Selector selector;
    private final Queue<SocketChannel> added = new ConcurrentLinkedQueue<>();
    private volatile boolean closing;

    Loop() throws IOException {
      selector = Selector.open();
    }

    void add(SocketChannel channel) {
      added.add(channel);
      selector.wakeup();
    }

    @Override
    public void run() {
      try {
        while (!closing) {
          selector.select(key -> ((Connection) key.attachment()).onReady());
          SocketChannel channel;
          while ((channel = added.poll()) != null) {
            Connection connection = new Connection(channel);
            try {
              connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
            } catch (IOException e) {
              connection.close();
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        selector.keys().forEach(key -> ((Connection) key.attachment()).close());
        added.forEach(NioEchoUpstream::closeQuietly);
        closeQuietly(selector);
      }
    }
  }

  private static final class Connection {
    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(BUFFER);
    private final ByteBuffer out = ByteBuffer.allocate(BUFFER);
    private final byte[] mask = new byte[4];
    SelectionKey key;
    private boolean open;
    /** Set when the connection speaks plain HTTP. */
    private HttpReader http;
    /** Body bytes of a {@code GET /bytes} response not yet put into {@code out}. */
    private long streamLeft;
    private boolean polling;
    private boolean closing;
    private long payloadLeft;
    private int maskAt;

    Connection(SocketChannel channel) {
      this.channel = channel;
    }

    void onReady() {
      try {
        if (key.isReadable() && channel.read(in) < 0) {
          close();
          return;
        }
        boolean progress = true;
        while (progress) {
          in.flip();
          int before = in.position();
          if (!open && http == null) {
            handshake();
          }
          if (open) {
            echo();
          } else if (http != null) {
            serve();
          }
          progress = in.position() > before && in.hasRemaining() || streamLeft > 0;
          in.compact();
          out.flip();
          channel.write(out);
          out.compact();
          if (out.position() > 0) {
            key.interestOps(SelectionKey.OP_WRITE);
            return;
          }
        }
        if (closing) {
          close();
        } else {
          key.interestOps(SelectionKey.OP_READ);
        }
      } catch (IOException | RuntimeException e) {
        close();
      }
    }

    void close() {
      closeQuietly(channel);
    }

    private void handshake() {
      String head = StandardCharsets.ISO_8859_1.decode(in.duplicate()).toString();
      int end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        return;
      }
      String key = null;
      for (String line : head.substring(0, end).split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("sec-websocket-key:")) {
          key = line.substring(line.indexOf(':') + 1).trim();
        }
      }
      if (key == null) {
        http = new HttpReader(); // plain HTTP: serve() reads the head again
        return;
      }
      in.position(in.position() + end + 4);
      out.put(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
          + accept(key) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      open = true;
    }

    /** Answers the HTTP requests complete in {@code in} while {@code out} has room; streams a body. */
    private void serve() {
      if (streamLeft > 0) {
        int n = (int) Math.min(streamLeft, out.remaining());
        out.put(ZEROS, 0, n);
        streamLeft -= n;
        if (streamLeft > 0) {
          return;
        }
      }
      while (!polling && streamLeft == 0 && out.remaining() >= RESPONSE_ROOM && http.read(in)) {
        String line = http.startLine();
        String target = line.substring(line.indexOf(' ') + 1, line.lastIndexOf(' '));
        if (line.startsWith("GET ") && target.equals("/1k")) {
          out.put(OK_1K);
        } else if (line.startsWith("GET ") && target.startsWith("/bytes?n=")) {
          streamLeft = Long.parseLong(target.substring("/bytes?n=".length()));
          out.put(head(200, streamLeft));
        } else if (line.startsWith("POST ") && target.equals("/sink")) {
          out.put(response(200, Long.toString(http.bodyBytes()).getBytes(StandardCharsets.US_ASCII)));
        } else if (line.startsWith("GET ") && target.equals("/poll")) {
          polling = true;
        } else {
          out.put(NOT_FOUND);
        }
      }
      if (polling) {
        in.position(in.limit()); // nothing more is answered on a long poll
      }
    }

    /** Echoes what is complete enough in {@code in} while {@code out} has room. */
    private void echo() {
      while (!closing) {
        if (payloadLeft > 0) {
          int n = (int) Math.min(payloadLeft, Math.min(in.remaining(), out.remaining()));
          if (n == 0) {
            return;
          }
          for (int i = 0; i < n; i++) {
            out.put((byte) (in.get() ^ mask[maskAt++ & 3]));
          }
          payloadLeft -= n;
          continue;
        }
        if (in.remaining() < 2 || out.remaining() < 14 + 125) {
          return;
        }
        int start = in.position();
        int b0 = in.get(start) & 0xff;
        int b1 = in.get(start + 1) & 0xff;
        int len7 = b1 & 0x7f;
        int headLength = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((b1 & 0x80) != 0 ? 4 : 0);
        if (in.remaining() < headLength) {
          return;
        }
        long length = len7 == 126 ? in.getShort(start + 2) & 0xffff : len7 == 127 ? in.getLong(start + 2) : len7;
        boolean control = (b0 & 0x08) != 0;
        if (control && in.remaining() < headLength + length) {
          return;
        }
        if ((b1 & 0x80) != 0) {
          in.get(start + headLength - 4, mask);
        } else {
          Arrays.fill(mask, (byte) 0);
        }
        in.position(start + headLength);
        int opcode = b0 & 0x0f;
        out.put((byte) (opcode == 0x9 ? 0x8A : b0));
        if (length < 126) {
          out.put((byte) length);
        } else if (length <= 0xffff) {
          out.put((byte) 126).putShort((short) length);
        } else {
          out.put((byte) 127).putLong(length);
        }
        payloadLeft = length;
        maskAt = 0;
        closing = opcode == 0x8;
        if (closing) {
          for (int i = 0; i < length; i++) {
            out.put((byte) (in.get() ^ mask[maskAt++ & 3]));
          }
          payloadLeft = 0;
        }
      }
    }
  }

  private static byte[] head(int status, long contentLength) {
    return ("HTTP/1.1 " + status + (status == 200 ? " OK" : " Not Found") + "\r\nContent-Type: application/octet-stream\r\nContent-Length: "
        + contentLength + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] response(int status, byte[] body) {
    byte[] head = head(status, body.length);
    byte[] all = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    return all;
  }

  /** Closes a socket or selector, whatever goes wrong (nothing to do about it). */
  static void closeQuietly(Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /** The Sec-WebSocket-Accept answering Sec-WebSocket-Key {@code key}. */
  static String accept(String key) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      sha1.update(key.getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1.digest(GUID));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
