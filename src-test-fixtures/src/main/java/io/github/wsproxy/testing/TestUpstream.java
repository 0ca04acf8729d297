package io.github.wsproxy.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.java_websocket.drafts.Draft;
import org.java_websocket.handshake.ClientHandshake;

/**
 * A real WebSocket server (Java-WebSocket's {@code WebSocketServer}) to put behind a proxy: it
 * echoes every message by default and records what it receives, and tests can script its live
 * connections.
 *
 * <pre>{@code
 * try (TestUpstream upstream = TestUpstream.builder().subprotocols("chat").build().start()) {
 *   // connect through a proxy to upstream.uri() ...
 *   upstream.awaitHandshakes(1, Duration.ofSeconds(5));
 *   assertThat(upstream.handshakes().get(0).resource()).isEqualTo("/room?id=1");
 *   upstream.sendFramesToAll(List.of(
 *       WireFrame.textFragment("he"), WireFrame.ping(new byte[0]), WireFrame.continuation("y", true)));
 *   upstream.closeAll(4000, "bye");
 * }
 * }</pre>
 *
 * <p>What it records:
 *
 * <ul>
 *   <li>{@link #handshakes()}: each opening handshake request, with the raw head.
 *   <li>{@link #receivedFrames()}: every frame read, copied from the socket bytes before the
 *       library decodes them, so they are exact: FIN, RSV bits, opcode, {@code masked}, payload
 *       (still compressed when permessage-deflate is on), empty close payloads. Frames are
 *       recorded before the messages they form.
 *   <li>{@link #receivedTexts()} and {@link #receivedBinaries()}: whole messages, as decoded.
 *   <li>{@link #closes()}: each opened connection's end, as the server saw it. When the peer
 *       initiated the close, its close frame's code and reason are recorded as sent (1005 for an
 *       empty payload, which Java-WebSocket reports as 1000; and not 1006 if the peer closed its
 *       socket before the server's answering close frame could be written).
 * </ul>
 *
 * <p>Two Java-WebSocket 1.6.0 behaviours to know: when the server closes (e.g. {@link
 * #closeAll}), it sends its close frame and closes the TCP connection right after flushing it,
 * without waiting for the peer's answering close frame; and handlers run on the server's few
 * worker threads, so a handler that blocks stalls other connections.
 *
 * <p>This class also works around a Java-WebSocket race that loses the last messages and the
 * close frame of a peer that sends them right before closing its TCP connection (they were
 * reported as 1006): the end of stream is held back until everything read has been decoded. And
 * it writes its connections' output itself, because the library's write path can leave a queued
 * message unwritten for good (see {@code UpstreamWriter}): a client then waits forever for its
 * echo.
 */
public final class TestUpstream implements AutoCloseable {

  /** The default {@link Builder#maxFrameSize(int)}: 64 MiB. */
  public static final int DEFAULT_MAX_FRAME_SIZE = 64 * 1024 * 1024;

  private final Builder config;
  private final UpstreamServer server;
  private final AtomicInteger connectionIndex = new AtomicInteger();
  private final List<Conn> conns = new CopyOnWriteArrayList<>();
  private final List<RecordedHandshake> handshakes = new CopyOnWriteArrayList<>();
  private final List<WireFrame> frames = new CopyOnWriteArrayList<>();
  private final List<String> texts = new CopyOnWriteArrayList<>();
  private final List<byte[]> binaries = new CopyOnWriteArrayList<>();
  private final List<RecordedClose> closes = new CopyOnWriteArrayList<>();
  private final List<Exception> errors = new CopyOnWriteArrayList<>();
  private volatile boolean started;
  private volatile boolean closed;

  private TestUpstream(Builder config) {
    this.config = config;
    List<Draft> drafts =
        List.of(new UpstreamDraft(config.deflate, config.subprotocols, config.maxFrameSize));
    this.server =
        new UpstreamServer(config.bind, config.workers, drafts, this, config.responseHeaders);
  }

  /**
   * A builder with the defaults: 127.0.0.1:0, echo, no subprotocols, no compression.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds and starts an upstream with the defaults (an echo server on 127.0.0.1:0).
   *
   * @return the started upstream
   * @throws IOException if the address cannot be bound or the server does not start in 10 s
   */
  public static TestUpstream startEcho() throws IOException {
    return builder().build().start();
  }

  /**
   * Starts listening and returns once the server accepts connections.
   *
   * @return this
   * @throws IOException if the address cannot be bound or the server does not start in 10 s
   * @throws IllegalStateException if already started
   */
  public TestUpstream start() throws IOException {
    synchronized (this) {
      if (started) {
        throw new IllegalStateException("TestUpstream already started");
      }
      started = true;
    }
    try {
      server.startAndAwait(Duration.ofSeconds(10));
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    return this;
  }

  /**
   * The port listened on (after {@link #start()}).
   *
   * @return the port
   */
  public int port() {
    return server.getPort();
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

  private String hostPort() {
    InetAddress address = config.bind.getAddress();
    String host = address == null || address.isAnyLocalAddress()
        ? "127.0.0.1"
        : address.getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
  }

  /**
   * Every opening handshake received, in order (including ones that later failed).
   *
   * @return the handshakes received so far; a copy
   */
  public List<RecordedHandshake> handshakes() {
    return List.copyOf(handshakes);
  }

  /**
   * Waits until at least {@code n} handshakes have been received; returns all of them.
   *
   * @param n the number of handshakes to wait for
   * @param timeout how long to wait
   * @return every handshake received so far, in order
   */
  public List<RecordedHandshake> awaitHandshakes(int n, Duration timeout) {
    Await.until(() -> handshakes.size() >= n, timeout, n + " handshake(s) on " + this);
    return handshakes();
  }

  /**
   * Every frame received on any connection, exactly as on the wire, in arrival order.
   *
   * @return the frames received so far; a copy
   */
  public List<WireFrame> receivedFrames() {
    return List.copyOf(frames);
  }

  /**
   * Waits until at least {@code n} frames have been received; returns all of them.
   *
   * @param n the number of frames to wait for
   * @param timeout how long to wait
   * @return every frame received so far, in order
   */
  public List<WireFrame> awaitFrames(int n, Duration timeout) {
    Await.until(() -> frames.size() >= n, timeout, n + " frame(s) received by " + this);
    return receivedFrames();
  }

  /**
   * Every text message received on any connection, in order.
   *
   * @return the text messages received so far; a copy
   */
  public List<String> receivedTexts() {
    return List.copyOf(texts);
  }

  /**
   * Waits until at least {@code n} text messages have been received; returns all of them.
   *
   * @param n the number of text messages to wait for
   * @param timeout how long to wait
   * @return every text message received so far, in order
   */
  public List<String> awaitTexts(int n, Duration timeout) {
    Await.until(() -> texts.size() >= n, timeout, n + " text message(s) received by " + this);
    return receivedTexts();
  }

  /**
   * Every binary message received on any connection, in order (copies).
   *
   * @return the binary messages received so far
   */
  public List<byte[]> receivedBinaries() {
    List<byte[]> copy = new ArrayList<>();
    for (byte[] b : binaries) {
      copy.add(b.clone());
    }
    return copy;
  }

  /**
   * Waits until at least {@code n} binary messages have been received; returns all of them.
   *
   * @param n the number of binary messages to wait for
   * @param timeout how long to wait
   * @return every binary message received so far, in order
   */
  public List<byte[]> awaitBinaries(int n, Duration timeout) {
    Await.until(() -> binaries.size() >= n, timeout, n + " binary message(s) received by " + this);
    return receivedBinaries();
  }

  /**
   * How each opened connection ended, in order.
   *
   * @return the closes so far; a copy
   */
  public List<RecordedClose> closes() {
    return List.copyOf(closes);
  }

  /**
   * Waits until at least {@code n} opened connections have ended; returns all closes.
   *
   * @param n the number of ended connections to wait for
   * @param timeout how long to wait
   * @return every close so far, in order
   */
  public List<RecordedClose> awaitCloses(int n, Duration timeout) {
    Await.until(() -> closes.size() >= n, timeout, n + " close(s) on " + this);
    return closes();
  }

  /**
   * The errors Java-WebSocket reported (protocol violations such as an unmasked client frame,
   * exceptions thrown by handlers, I/O errors), in order.
   *
   * @return the errors so far; a copy
   */
  public List<Exception> errors() {
    return List.copyOf(errors);
  }

  /**
   * Every connection accepted so far, including unfinished handshakes and closed ones.
   *
   * @return the connections accepted so far
   */
  public List<Conn> connections() {
    return List.copyOf(conns);
  }

  /**
   * The connections currently open (handshake done, not closing or closed).
   *
   * @return the open connections
   */
  public List<Conn> liveConnections() {
    List<Conn> live = new ArrayList<>();
    for (Conn c : conns) {
      if (c.isOpen()) {
        live.add(c);
      }
    }
    return live;
  }

  /**
   * How many connections are currently open.
   *
   * @return the number of open connections
   */
  public int openConnections() {
    return liveConnections().size();
  }

  /**
   * Waits until exactly {@code n} connections are open.
   *
   * @param n the number of open connections to wait for
   * @param timeout how long to wait
   */
  public void awaitOpenConnections(int n, Duration timeout) {
    Await.until(() -> openConnections() == n, timeout, n + " open connection(s) on " + this);
  }

  /**
   * Sends a text message on every open connection.
   *
   * @param text the message's text
   */
  public void sendTextToAll(String text) {
    liveConnections().forEach(c -> c.send(text));
  }

  /**
   * Sends a binary message on every open connection.
   *
   * @param data the message's bytes
   */
  public void sendBinaryToAll(byte[] data) {
    liveConnections().forEach(c -> c.send(data));
  }

  /**
   * Sends exact frames on every open connection, unmasked, without compression or validation
   * (e.g. a fragmented message with a ping in the middle). The connection state does not change:
   * to close, use {@link #closeAll}.
   *
   * @param framesToSend the frames to send, in order
   */
  public void sendFramesToAll(List<WireFrame> framesToSend) {
    liveConnections().forEach(c -> c.sendFrames(framesToSend));
  }

  /**
   * Closes every open connection with a close frame carrying {@code code} and {@code reason}.
   *
   * @param code the close code
   * @param reason the close reason
   */
  public void closeAll(int code, String reason) {
    liveConnections().forEach(c -> c.close(code, reason));
  }

  /** Closes every open connection with a close frame that has an empty payload (no code). */
  public void closeAllWithoutCode() {
    liveConnections().forEach(Conn::closeWithoutCode);
  }

  /**
   * Ends every open connection without a close frame: pending output is flushed, then the TCP
   * connection is closed (FIN).
   */
  public void dropAll() {
    liveConnections().forEach(Conn::drop);
  }

  /** Ends every open connection with a TCP reset (RST), without a close frame. */
  public void resetAll() {
    liveConnections().forEach(Conn::reset);
  }

  /**
   * Stops the server: open connections get a 1001 close frame, then every socket is closed and
   * the server's threads are joined (up to 5 s). Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (started) {
      server.stopAndJoin(Duration.ofSeconds(5));
    }
    for (Conn c : conns) {
      c.closeChannel();
    }
  }

  @Override
  public String toString() {
    return "TestUpstream[" + (started && !closed ? hostPort() : config.bind) + "]";
  }

  // ---- events from UpstreamServer and TappedWebSocket (library threads) ----

  Conn newConn(TappedWebSocket ws) {
    Conn conn = new Conn(this, ws, connectionIndex.getAndIncrement());
    conns.add(conn);
    return conn;
  }

  void onHandshake(Conn conn, ClientHandshake request) {
    Map<String, String> headers = new LinkedHashMap<>();
    HttpHead head = conn.requestHead;
    if (head != null) {
      for (HttpHead.Header h : head.headers()) {
        headers.merge(h.name().toLowerCase(Locale.ROOT), h.value(), (a, b) -> a + ", " + b);
      }
    } else {
      for (Iterator<String> it = request.iterateHttpFields(); it.hasNext(); ) {
        String name = it.next();
        headers.put(name.toLowerCase(Locale.ROOT), request.getFieldValue(name));
      }
    }
    RecordedHandshake recorded = new RecordedHandshake(
        request.getResourceDescriptor(), headers, conn.ws.getRemoteSocketAddress(), head);
    conn.handshake = recorded;
    handshakes.add(recorded);
  }

  void onOpen(Conn conn) {
    if (config.onOpen != null) {
      config.onOpen.accept(conn);
    }
  }

  void onText(Conn conn, String text) {
    texts.add(text);
    if (config.onText != null) {
      config.onText.accept(conn, text);
    } else {
      conn.send(text);
    }
  }

  void onBinary(Conn conn, byte[] data) {
    binaries.add(data.clone());
    if (config.onBinary != null) {
      config.onBinary.accept(conn, data);
    } else {
      conn.send(data);
    }
  }

  void onClose(Conn conn, int code, String reason, boolean remote) {
    WireFrame peerClose = conn.peerClose;
    RecordedClose close;
    if (peerClose != null && !conn.localClose && peerClose.length() != 1) {
      // The peer initiated the close with this frame. Java-WebSocket reports an empty payload as
      // 1000, and reports 1006 if writing its answer fails (the peer already closed the socket).
      int peerCode = peerClose.length() == 0 ? 1005 : peerClose.closeCode();
      close = new RecordedClose(peerCode, peerClose.closeReason(), true);
    } else {
      close = new RecordedClose(code, reason == null ? "" : reason, remote);
    }
    closes.add(close);
    if (config.onClose != null) {
      config.onClose.accept(conn, close);
    }
  }

  void onCloseInitiated(Conn conn) {
    conn.localClose = true;
  }

  void onError(Exception e) {
    errors.add(e);
  }

  /**
   * Collects a {@link TestUpstream}'s configuration. Not thread-safe; handlers run on the
   * server's worker threads.
   */
  public static final class Builder {
    private InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private List<String> subprotocols = List.of();
    private boolean deflate;
    private int maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
    private int workers = 2;
    private BiConsumer<Conn, String> onText;
    private BiConsumer<Conn, byte[]> onBinary;
    private Consumer<Conn> onOpen;
    private BiConsumer<Conn, RecordedClose> onClose;
    private final Map<String, String> responseHeaders = new LinkedHashMap<>();

    private Builder() {}

    /**
     * The address to listen on; default 127.0.0.1 port 0 (an ephemeral port).
     *
     * @param address the address to listen on
     * @return this builder
     */
    public Builder bind(InetSocketAddress address) {
      this.bind = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * The subprotocols the server supports. It selects the first protocol in the client's offer
     * that it supports; an offer with none of them is still accepted, with no protocol. Default:
     * none supported, so no protocol is ever selected.
     *
     * @param supported the supported subprotocols
     * @return this builder
     */
    public Builder subprotocols(String... supported) {
      this.subprotocols = List.of(supported);
      return this;
    }

    /**
     * Whether the server accepts a permessage-deflate offer (Java-WebSocket's
     * PerMessageDeflateExtension, which answers with {@code server_no_context_takeover} and
     * compresses messages of 1 KiB or more). Default false.
     *
     * @param enabled whether to accept permessage-deflate
     * @return this builder
     */
    public Builder permessageDeflate(boolean enabled) {
      this.deflate = enabled;
      return this;
    }

    /**
     * The largest frame payload, and message, the server accepts; larger ones close the
     * connection with 1009. Default {@link #DEFAULT_MAX_FRAME_SIZE}.
     *
     * @param bytes the largest frame payload and message, in bytes
     * @return this builder
     */
    public Builder maxFrameSize(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxFrameSize must be positive, was " + bytes);
      }
      this.maxFrameSize = bytes;
      return this;
    }

    /**
     * The number of Java-WebSocket worker threads; default 2.
     *
     * @param count the number of worker threads
     * @return this builder
     */
    public Builder workers(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("workers must be positive, was " + count);
      }
      this.workers = count;
      return this;
    }

    /**
     * Handles text messages instead of echoing them (messages are still recorded).
     *
     * @param handler called with the connection and the message's text
     * @return this builder
     */
    public Builder onText(BiConsumer<Conn, String> handler) {
      this.onText = handler;
      return this;
    }

    /**
     * Handles binary messages instead of echoing them (messages are still recorded).
     *
     * @param handler called with the connection and the message's bytes
     * @return this builder
     */
    public Builder onBinary(BiConsumer<Conn, byte[]> handler) {
      this.onBinary = handler;
      return this;
    }

    /**
     * Runs when a connection opens, e.g. to send a greeting.
     *
     * @param handler called with the opened connection
     * @return this builder
     */
    public Builder onOpen(Consumer<Conn> handler) {
      this.onOpen = handler;
      return this;
    }

    /**
     * Runs when an opened connection has ended, with how it ended (as {@link TestUpstream#closes()}
     * records it).
     *
     * @param handler called with the connection and its close
     * @return this builder
     */
    public Builder onClose(BiConsumer<Conn, RecordedClose> handler) {
      this.onClose = handler;
      return this;
    }

    /**
     * Adds a header to every 101 response. Java-WebSocket overwrites Upgrade, Connection,
     * Sec-WebSocket-Accept, Server and Date.
     *
     * @param name the header's name
     * @param value the header's value
     * @return this builder
     */
    public Builder responseHeader(String name, String value) {
      responseHeaders.put(name, value);
      return this;
    }

    /**
     * Returns the upstream, not yet started.
     *
     * @return a new upstream with this builder's settings
     */
    public TestUpstream build() {
      return new TestUpstream(this);
    }

    /**
     * Builds and starts the upstream.
     *
     * @return the started upstream
     * @throws IOException if the address cannot be bound or the server does not start in 10 s
     */
    public TestUpstream start() throws IOException {
      return build().start();
    }
  }

  /**
   * One connection to the {@link TestUpstream}, as handed to handlers and listed by {@link
   * #connections()}. Methods may be called from any thread.
   */
  public static final class Conn {
    private final TestUpstream owner;
    final TappedWebSocket ws;
    final WireTap tap;
    private final int index;
    private final List<WireFrame> received = new CopyOnWriteArrayList<>();
    volatile HttpHead requestHead;
    volatile RecordedHandshake handshake;
    volatile WireFrame peerClose;
    volatile boolean localClose;

    Conn(TestUpstream owner, TappedWebSocket ws, int index) {
      this.owner = owner;
      this.ws = ws;
      this.index = index;
      long maxTap = Math.max(owner.config.maxFrameSize, 1 << 20) + 14L;
      this.tap = new WireTap(maxTap, head -> {
        requestHead = head;
        return true;
      }, this::frameRead);
    }

    private void frameRead(WireFrame frame) {
      if (frame.opcode() == WireFrame.CLOSE && peerClose == null) {
        peerClose = frame;
      }
      received.add(frame);
      owner.frames.add(frame);
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
     * The request target (path and query), or null before the handshake.
     *
     * @return the request target, or null
     */
    public String resource() {
      return ws.getResourceDescriptor();
    }

    /**
     * The recorded handshake, or null before it.
     *
     * @return the handshake, or null
     */
    public RecordedHandshake handshake() {
      return handshake;
    }

    /**
     * The peer's address.
     *
     * @return the peer's address
     */
    public InetSocketAddress remoteAddress() {
      return handshake != null ? handshake.remote() : ws.getRemoteSocketAddress();
    }

    /**
     * Whether the connection is open (handshake done, not closing or closed).
     *
     * @return whether the connection is open
     */
    public boolean isOpen() {
      return ws.isOpen();
    }

    /**
     * The selected subprotocol, or "" if none.
     *
     * @return the selected subprotocol, or ""
     */
    public String subprotocol() {
      return ws.getProtocol() == null ? "" : ws.getProtocol().getProvidedProtocol();
    }

    /**
     * Whether output for this connection waits to be written to the socket (frames queued, or a
     * frame the socket took only in part).
     *
     * @return whether output waits to be written
     */
    public boolean hasUnsentOutput() {
      return ws.hasUnsentOutput();
    }

    /**
     * The connection's state in a few words, for failure reports: open or not, how many frames it
     * received, and whether output is still waiting to be written ({@link #hasUnsentOutput()}).
     *
     * @return e.g. "open, 12 frame(s) received, output not written"
     */
    public String state() {
      return (isOpen() ? "open" : "not open") + ", " + received.size() + " frame(s) received"
          + (hasUnsentOutput() ? ", output not written" : "");
    }

    /**
     * The frames received on this connection, exactly as on the wire.
     *
     * @return the frames received on this connection; a copy
     */
    public List<WireFrame> receivedFrames() {
      return List.copyOf(received);
    }

    /**
     * Sends a text message (compressed if permessage-deflate was negotiated).
     *
     * @param text the message's text
     */
    public void send(String text) {
      ws.send(text);
    }

    /**
     * Sends a binary message (compressed if permessage-deflate was negotiated).
     *
     * @param data the message's bytes
     */
    public void send(byte[] data) {
      ws.send(data);
    }

    /**
     * Sends an exact frame, unmasked; see {@link TestUpstream#sendFramesToAll(List)}.
     *
     * @param frame the frame to send
     */
    public void sendFrame(WireFrame frame) {
      sendFrames(List.of(frame));
    }

    /**
     * Sends exact frames, unmasked, in one write; see {@link TestUpstream#sendFramesToAll}.
     *
     * @param framesToSend the frames to send, in order
     */
    public void sendFrames(List<WireFrame> framesToSend) {
      if (ws.isClosed()) {
        throw new IllegalStateException("connection " + index + " is closed");
      }
      RawFrameQueue.send(ws, framesToSend, false);
    }

    /**
     * Sends exact frames masked with random keys: a protocol violation for a server.
     *
     * @param framesToSend the frames to send, in order
     */
    public void sendFramesMasked(List<WireFrame> framesToSend) {
      if (ws.isClosed()) {
        throw new IllegalStateException("connection " + index + " is closed");
      }
      RawFrameQueue.send(ws, framesToSend, true);
    }

    /**
     * Sends a close frame with exactly this code and reason (not validated: 1005 or a 200-byte
     * reason are sent as given), then closes the TCP connection once it is flushed.
     *
     * @param code the close code
     * @param reason the close reason
     */
    public void close(int code, String reason) {
      closeWith(WireFrame.close(code, reason), code, reason);
    }

    /** Sends a close frame with an empty payload, then closes the TCP connection. */
    public void closeWithoutCode() {
      closeWith(WireFrame.closeEmpty(), 1005, "");
    }

    private void closeWith(WireFrame frame, int code, String reason) {
      if (!ws.isOpen()) {
        return;
      }
      localClose = true;
      RawFrameQueue.send(ws, List.of(frame), false);
      ws.flushAndClose(code, reason, false);
    }

    /** Flushes pending output, then closes the TCP connection (FIN) without a close frame. */
    public void drop() {
      if (!ws.isClosed()) {
        localClose = true;
        ws.flushAndClose(1006, "dropped by test", false);
      }
    }

    /** Closes the TCP connection at once with a reset (RST), without a close frame. */
    public void reset() {
      localClose = true;
      try {
        Socket socket = channel().socket();
        socket.setSoLinger(true, 0);
      } catch (IOException | RuntimeException e) {
        // already closed
      }
      ws.closeConnection(1006, "reset by test");
    }

    private SocketChannel channel() {
      return (SocketChannel) ws.getSelectionKey().channel();
    }

    void closeChannel() {
      try {
        ByteChannel channel = ws.getChannel();
        if (channel != null) {
          channel.close();
        }
      } catch (IOException e) {
        // closing
      }
    }

    @Override
    public String toString() {
      return "Conn[" + index + " " + resource() + "]";
    }
  }
}
