package io.github.wsproxy.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * An upstream on a plain blocking {@link ServerSocket} that runs a {@link Script} for each
 * accepted connection, on a thread of its own, with exact control over every byte: answer the
 * handshake with any status, send masked frames, stall, reset.
 *
 * <pre>{@code
 * try (RawUpstream upstream = RawUpstream.start(c -> {
 *       HttpHead request = c.readRequest();
 *       c.accept(request, "Sec-WebSocket-Protocol: chat");
 *       c.sendFrame(WireFrame.textFragment("hel"));
 *       c.sendFrame(WireFrame.ping(new byte[0]));
 *       c.sendFrame(WireFrame.continuation("lo", true));
 *       c.readFrame(Duration.ofSeconds(5));
 *     })) {
 *   // point a proxy at upstream.uri() ...
 *   upstream.assertNoFailures();
 * }
 * }</pre>
 *
 * <p>It records every request head read ({@link #requests()}), every frame read ({@link
 * #receivedFrames()}), the number of accepted connections and what the scripts threw. When a
 * script returns, its connection is closed (FIN) unless the script closed or aborted it. Binds
 * 127.0.0.1 on an ephemeral port by default.
 */
public final class RawUpstream implements AutoCloseable {

  /** The read timeout of {@link Connection#readRequest()}: 10 seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  /** What to do with one accepted connection. */
  @FunctionalInterface
  public interface Script {
    /**
     * Runs on the connection's own thread; anything thrown is recorded in {@link #failures()}
     * (unless the upstream is closing).
     *
     * @param connection the accepted connection
     * @throws Exception anything; it is recorded
     */
    void run(Connection connection) throws Exception;
  }

  private final ServerSocket server;
  private final Script script;
  private final Thread acceptThread;
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final List<HttpHead> requests = new CopyOnWriteArrayList<>();
  private final List<WireFrame> frames = new CopyOnWriteArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private final AtomicInteger connectionCount = new AtomicInteger();
  private final AtomicInteger finishedScripts = new AtomicInteger();
  private volatile boolean closed;

  private RawUpstream(ServerSocket server, Script script) {
    this.server = server;
    this.script = script;
    this.acceptThread = new Thread(this::acceptLoop, "raw-upstream-" + server.getLocalPort());
    this.acceptThread.setDaemon(true);
  }

  /**
   * Starts listening on 127.0.0.1 on an ephemeral port.
   *
   * @param script what to do with each accepted connection
   * @return the listening upstream
   * @throws IOException if binding fails
   */
  public static RawUpstream start(Script script) throws IOException {
    return start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), script);
  }

  /**
   * Starts listening on {@code bind}.
   *
   * @param bind the address to listen on (port 0 for an ephemeral port)
   * @param script what to do with each accepted connection
   * @return the listening upstream
   * @throws IOException if binding fails
   */
  public static RawUpstream start(InetSocketAddress bind, Script script) throws IOException {
    Objects.requireNonNull(script, "script");
    return start(new ServerSocket(), bind, script);
  }

  /**
   * Starts a TLS upstream on 127.0.0.1 on an ephemeral port, on the JDK's blocking {@code
   * SSLServerSocket}: its URL is {@code wss://localhost:port()}. The handshake happens on each
   * connection's first read; {@link Connection#socket()} is an {@code SSLSocket}.
   *
   * @param tls the server's context (its certificate, and the trust for client certificates)
   * @param needClientAuth whether clients must present a certificate {@code tls} trusts
   * @param script what to do with each accepted connection
   * @return the listening upstream
   * @throws IOException if binding fails
   */
  public static RawUpstream startTls(SSLContext tls, boolean needClientAuth, Script script) throws IOException {
    Objects.requireNonNull(script, "script");
    SSLServerSocket server = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
    server.setNeedClientAuth(needClientAuth);
    return start(server, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), script);
  }

  private static RawUpstream start(ServerSocket server, InetSocketAddress bind, Script script) throws IOException {
    try {
      server.setReuseAddress(true);
      server.bind(bind, 128);
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    RawUpstream upstream = new RawUpstream(server, script);
    upstream.acceptThread.start();
    return upstream;
  }

  /**
   * A script that reads the request, answers it with {@code status}, the headers and the body
   * (with a Content-Length), and closes the connection.
   *
   * @param status the HTTP status, e.g. 403
   * @param reason the reason phrase
   * @param headers response headers (iteration order kept); may be empty
   * @param body the body as UTF-8; may be empty
   * @return the script
   */
  public static Script rejecting(
      int status, String reason, Map<String, String> headers, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return c -> {
      c.readRequest();
      c.respond(status, reason, headers, bytes);
    };
  }

  /**
   * A script that accepts the TCP connection and reads whatever arrives, never answering, until
   * the peer closes or the upstream is closed.
   *
   * @return the silent script
   */
  public static Script silent() {
    return c -> c.awaitEof(Duration.ofDays(1));
  }

  /**
   * A script that accepts the handshake, then echoes every data frame (text, binary,
   * continuation) unmasked with the same FIN, RSV bits and payload, answers pings with pongs,
   * ignores pongs, and answers a close frame with a close frame of the same payload before closing
   * the connection. It stops quietly if the peer ends the connection without a close frame.
   *
   * @return the echo script
   */
  public static Script echo() {
    return c -> {
      c.accept(c.readRequest());
      WireFrame frame;
      while ((frame = c.readFrameOrEof(Duration.ofDays(1))) != null) {
        if (frame.opcode() == WireFrame.CLOSE) {
          c.sendFrame(frame.unmaskedCopy());
          return;
        } else if (frame.opcode() == WireFrame.PING) {
          c.sendFrame(WireFrame.pong(frame.payload()));
        } else if (frame.opcode() != WireFrame.PONG) {
          c.sendFrame(frame.unmaskedCopy());
        }
      }
    };
  }

  /**
   * The port listened on.
   *
   * @return the port
   */
  public int port() {
    return server.getLocalPort();
  }

  /**
   * {@code ws://127.0.0.1:PORT}, to configure as a proxy's upstream.
   *
   * @return the upstream's URI
   */
  public URI uri() {
    return URI.create("ws://" + hostPort());
  }

  /**
   * {@code ws://127.0.0.1:PORT} followed by {@code path} (which should start with "/").
   *
   * @param path the request path, and query if any
   * @return the upstream's URI with that path
   */
  public URI uri(String path) {
    return URI.create("ws://" + hostPort() + path);
  }

  /**
   * Every request head read by {@link Connection#readRequest()}, in order.
   *
   * @return the request heads read so far; a copy
   */
  public List<HttpHead> requests() {
    return List.copyOf(requests);
  }

  /**
   * Waits until at least {@code n} requests have been read; returns all of them.
   *
   * @param n the number of requests to wait for
   * @param timeout how long to wait
   * @return every request head read so far, in order
   */
  public List<HttpHead> awaitRequests(int n, Duration timeout) {
    Await.until(() -> requests.size() >= n, timeout, n + " request(s) read by " + this);
    return requests();
  }

  /**
   * Every frame read by any connection (unmasked; {@code masked()} tells), in read order.
   *
   * @return the frames read so far; a copy
   */
  public List<WireFrame> receivedFrames() {
    return List.copyOf(frames);
  }

  /**
   * How many TCP connections have been accepted.
   *
   * @return the number of accepted connections
   */
  public int connectionCount() {
    return connectionCount.get();
  }

  /**
   * Waits until at least {@code n} TCP connections have been accepted.
   *
   * @param n the number of connections to wait for
   * @param timeout how long to wait
   */
  public void awaitConnections(int n, Duration timeout) {
    Await.until(() -> connectionCount.get() >= n, timeout, n + " connection(s) to " + this);
  }

  /**
   * The accepted connections, in order, including finished ones.
   *
   * @return the connections accepted so far; a copy
   */
  public List<Connection> connections() {
    return List.copyOf(connections);
  }

  /**
   * Waits until at least {@code n} scripts have returned or thrown.
   *
   * @param n the number of finished scripts to wait for
   * @param timeout how long to wait
   */
  public void awaitScriptsFinished(int n, Duration timeout) {
    Await.until(() -> finishedScripts.get() >= n, timeout, n + " script(s) finished on " + this);
  }

  /**
   * What the scripts threw, in order.
   *
   * @return the scripts' failures so far; a copy
   */
  public List<Throwable> failures() {
    return List.copyOf(failures);
  }

  /** Throws an AssertionError, with the first failure as cause, if any script failed. */
  public void assertNoFailures() {
    if (!failures.isEmpty()) {
      AssertionError error =
          new AssertionError(failures.size() + " script failure(s) on " + this, failures.get(0));
      failures.stream().skip(1).forEach(error::addSuppressed);
      throw error;
    }
  }

  /**
   * Stops listening, closes every connection (FIN) and waits for the accept and script threads to
   * end; a script still running after 5 seconds is interrupted. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing
    }
    for (Connection c : connections) {
      c.close();
    }
    join(acceptThread);
    for (Thread t : threads) {
      join(t);
    }
  }

  @Override
  public String toString() {
    return "RawUpstream[" + hostPort() + "]";
  }

  private String hostPort() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  private static void join(Thread t) {
    try {
      t.join(5_000);
      if (t.isAlive()) {
        t.interrupt();
        t.join(5_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (!closed) {
          failures.add(e);
        }
        return;
      }
      int index = connectionCount.getAndIncrement();
      Connection connection;
      try {
        connection = new Connection(this, socket, index);
      } catch (IOException e) {
        failures.add(e);
        closeQuietly(socket);
        continue;
      }
      connections.add(connection);
      Thread t = new Thread(() -> runScript(connection), "raw-upstream-" + port() + "-" + index);
      t.setDaemon(true);
      threads.add(t);
      if (closed) {
        connection.close();
      }
      t.start();
    }
  }

  private void runScript(Connection connection) {
    try {
      script.run(connection);
    } catch (Throwable t) {
      if (!closed && !(t instanceof SocketException && connection.closedLocally)) {
        failures.add(t);
      }
    } finally {
      connection.close();
      finishedScripts.incrementAndGet();
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing
    }
  }

  /**
   * One accepted connection, as seen by its script. Reads happen on the script's thread (one
   * reader); writes may come from any thread.
   */
  public static final class Connection implements AutoCloseable {
    private final RawUpstream upstream;
    private final RawSocketPeer peer;
    private final int index;
    private volatile HttpHead request;
    private volatile boolean closedLocally;
    private int maxPayload = WireFrame.DEFAULT_MAX_PAYLOAD;

    private Connection(RawUpstream upstream, Socket socket, int index) throws IOException {
      this.upstream = upstream;
      this.index = index;
      this.peer = new RawSocketPeer(socket, upstream.frames::add);
    }

    /**
     * This connection's number on its upstream, from 0 in accept order.
     *
     * @return the connection's index
     */
    public int index() {
      return index;
    }

    /**
     * The last request head read, or null if none has been read yet.
     *
     * @return the last request head, or null
     */
    public HttpHead request() {
      return request;
    }

    /**
     * Like {@link #readRequest(Duration)} with {@link RawUpstream#DEFAULT_TIMEOUT}.
     *
     * @return the request head (and body, if it has a Content-Length)
     * @throws IOException on a malformed head or one over 64 KiB
     */
    public HttpHead readRequest() throws IOException {
      return readRequest(DEFAULT_TIMEOUT);
    }

    /**
     * Reads a request head (and its body, if it has a Content-Length) and records it in {@link
     * RawUpstream#requests()}.
     *
     * @param timeout how long to wait for the complete head and body
     * @return the request head (and body, if it has a Content-Length)
     * @throws AssertionError on timeout or if the peer ends the connection first
     * @throws IOException on a malformed head or one over 64 KiB
     */
    public HttpHead readRequest(Duration timeout) throws IOException {
      HttpHead head = peer.readHead(timeout, HttpHead.DEFAULT_MAX_HEAD_BYTES);
      request = head;
      upstream.requests.add(head);
      return head;
    }

    /**
     * Answers a WebSocket upgrade: {@code HTTP/1.1 101 Switching Protocols}, {@code Upgrade:
     * websocket}, {@code Connection: Upgrade}, the {@code Sec-WebSocket-Accept} computed from the
     * request's key, then the extra header lines (e.g. {@code "Sec-WebSocket-Protocol: chat"}).
     *
     * @param request the request read, for its Sec-WebSocket-Key
     * @param extraHeaderLines complete header lines without CRLF
     * @throws AssertionError if the request has no Sec-WebSocket-Key
     * @throws IOException if writing fails
     */
    public void accept(HttpHead request, String... extraHeaderLines) throws IOException {
      String key = request.header("Sec-WebSocket-Key");
      if (key == null) {
        throw new AssertionError("request has no Sec-WebSocket-Key:\n" + request);
      }
      StringBuilder sb = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\n")
          .append("Upgrade: websocket\r\n")
          .append("Connection: Upgrade\r\n")
          .append("Sec-WebSocket-Accept: ").append(Handshakes.acceptFor(key)).append("\r\n");
      for (String line : extraHeaderLines) {
        sb.append(line).append("\r\n");
      }
      sb.append("\r\n");
      peer.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes a complete HTTP response: status line, the headers, a {@code Content-Length} (unless
     * the headers have one) and the body. The connection stays open.
     *
     * @param status the status code
     * @param reason the reason phrase
     * @param headers header names and values, in iteration order
     * @param body the body, or null for none
     * @throws IOException if writing fails
     */
    public void respond(int status, String reason, Map<String, String> headers, byte[] body)
        throws IOException {
      List<String> lines = new ArrayList<>();
      headers.forEach((name, value) -> lines.add(name + ": " + value));
      respond(status, reason, lines, body);
    }

    /**
     * Like {@link #respond(int, String, Map, byte[])} with complete header lines (without CRLF),
     * so duplicate names can be sent.
     *
     * @param status the status code
     * @param reason the reason phrase
     * @param headerLines complete header lines without CRLF, in order
     * @param body the body, or null for none
     * @throws IOException if writing fails
     */
    public void respond(int status, String reason, List<String> headerLines, byte[] body)
        throws IOException {
      byte[] content = body == null ? new byte[0] : body;
      StringBuilder sb = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason)
          .append("\r\n");
      boolean hasLength = false;
      for (String line : headerLines) {
        sb.append(line).append("\r\n");
        hasLength |= line.regionMatches(true, 0, "Content-Length:", 0, 15);
      }
      if (!hasLength) {
        sb.append("Content-Length: ").append(content.length).append("\r\n");
      }
      sb.append("\r\n");
      byte[] head = sb.toString().getBytes(StandardCharsets.UTF_8);
      byte[] all = Arrays.copyOf(head, head.length + content.length);
      System.arraycopy(content, 0, all, head.length, content.length);
      peer.write(all);
    }

    /**
     * Writes bytes exactly as given.
     *
     * @param bytes the bytes to write
     * @throws IOException if writing fails
     */
    public void sendRaw(byte[] bytes) throws IOException {
      peer.write(bytes);
    }

    /**
     * Writes a string's UTF-8 bytes exactly as given (no line ending is added).
     *
     * @param text the text whose UTF-8 bytes are written
     * @throws IOException if writing fails
     */
    public void sendRaw(String text) throws IOException {
      peer.write(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sends a frame unmasked, as a server must.
     *
     * @param frame the frame to send
     * @throws IOException if writing fails
     */
    public void sendFrame(WireFrame frame) throws IOException {
      peer.write(WireFrame.encode(frame, null));
    }

    /**
     * Sends frames unmasked, in a single write.
     *
     * @param frames the frames to send, in order
     * @throws IOException if writing fails
     */
    public void sendFrames(List<WireFrame> frames) throws IOException {
      peer.writeFrames(frames, false);
    }

    /**
     * Sends a frame masked with a random key: a protocol violation for a server.
     *
     * @param frame the frame to send
     * @throws IOException if writing fails
     */
    public void sendFrameMasked(WireFrame frame) throws IOException {
      peer.write(WireFrame.encode(frame, WireFrame.randomMaskKey()));
    }

    /**
     * Reads the next frame (recorded in {@link RawUpstream#receivedFrames()}).
     *
     * @param timeout how long to wait for a complete frame
     * @return the frame
     * @throws AssertionError on timeout, or if the peer ends the connection before a frame
     * @throws IOException if the frame is larger than {@link #maxPayload(int)}, or on a read error
     */
    public WireFrame readFrame(Duration timeout) throws IOException {
      return peer.readFrame(timeout, maxPayload);
    }

    /**
     * The next frame, or null if none is complete within {@code timeout}.
     *
     * @param timeout how long to wait for a complete frame
     * @return the frame, or null
     * @throws IOException if the frame is larger than {@link #maxPayload(int)}, or on a read error
     */
    public WireFrame pollFrame(Duration timeout) throws IOException {
      return peer.pollFrame(timeout, maxPayload);
    }

    /**
     * The next frame, or null if the peer ended the connection first.
     *
     * @param timeout how long to wait for a complete frame
     * @return the frame, or null
     * @throws AssertionError on timeout
     * @throws IOException if the frame is larger than {@link #maxPayload(int)}, or on a read error
     */
    public WireFrame readFrameOrEof(Duration timeout) throws IOException {
      return peer.readFrameOrEof(timeout, maxPayload);
    }

    /**
     * Reads exactly {@code n} raw bytes.
     *
     * @param n the number of bytes to read
     * @param timeout how long to wait for them
     * @return the bytes read
     * @throws IOException on a read error
     */
    public byte[] readBytes(int n, Duration timeout) throws IOException {
      return peer.readBytes(n, timeout);
    }

    /**
     * Waits until the peer closes the TCP connection (end of stream or reset); bytes arriving
     * meanwhile stay buffered.
     *
     * @param timeout how long to wait
     * @return true if the connection ended, false on timeout
     * @throws IOException on a read error
     */
    public boolean awaitEof(Duration timeout) throws IOException {
      return peer.awaitEof(timeout);
    }

    /**
     * Whether the connection ended with a reset (RST) rather than a FIN.
     *
     * @return whether a reset was seen
     */
    public boolean wasReset() {
      return peer.resetSeen();
    }

    /**
     * How many received bytes are buffered and not yet read.
     *
     * @return the number of buffered bytes
     */
    public int buffered() {
      return peer.buffered();
    }

    /**
     * Sets the largest payload the frame reads accept (default 16 MiB); returns this.
     *
     * @param bytes the largest payload, in bytes
     * @return this connection
     */
    public Connection maxPayload(int bytes) {
      this.maxPayload = bytes;
      return this;
    }

    /**
     * Half-closes: sends FIN but keeps reading.
     *
     * @throws IOException if the socket cannot be shut down
     */
    public void shutdownOutput() throws IOException {
      peer.shutdownOutput();
    }

    /** Closes abruptly with SO_LINGER 0, so the peer sees a reset (RST). */
    public void abort() {
      closedLocally = true;
      peer.abort();
    }

    /**
     * The underlying socket.
     *
     * @return the socket
     */
    public Socket socket() {
      return peer.socket();
    }

    /** Closes the socket (FIN). Idempotent. */
    @Override
    public void close() {
      closedLocally = true;
      peer.close();
    }
  }
}
