package io.github.wsproxy.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.extensions.IExtension;
import org.java_websocket.extensions.permessage_deflate.PerMessageDeflateExtension;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.protocols.IProtocol;
import org.java_websocket.protocols.Protocol;

/**
 * A WebSocket client on Java-WebSocket's {@code WebSocketClient} (the library the proxy is
 * compared with), that queues what it receives and records every frame exactly as it arrives.
 *
 * <pre>{@code
 * try (JwsTestClient client = JwsTestClient.connect(proxyUri, Map.of(), List.of("chat"), true)) {
 *   client.sendFrames(List.of(
 *       WireFrame.textFragment("he"), WireFrame.ping(new byte[0]), WireFrame.continuation("y", true)));
 *   assertThat(client.awaitText(Duration.ofSeconds(5))).isEqualTo("hey");
 *   assertThat(client.handshakeHeader("Sec-WebSocket-Protocol")).isEqualTo("chat");
 * }
 * }</pre>
 *
 * <p>Unlike the JDK client it can offer permessage-deflate and send exact frames. It is lenient:
 * it accepts a subprotocol or no subprotocol in the answer whatever it offered. Java-WebSocket
 * answers pings itself; pings and pongs are queued too. Request headers are sent in
 * alphabetical order (the library keeps them in a sorted map).
 */
public final class JwsTestClient implements AutoCloseable {

  /** The connect timeout: 10 seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private static final int MAX_FRAME_SIZE = 64 * 1024 * 1024;

  private final Client client;
  private final TappedSocket socket;
  private final List<WireFrame> frames = new CopyOnWriteArrayList<>();
  private final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
  private final BlockingQueue<byte[]> binaries = new LinkedBlockingQueue<>();
  private final BlockingQueue<byte[]> pings = new LinkedBlockingQueue<>();
  private final BlockingQueue<byte[]> pongs = new LinkedBlockingQueue<>();
  private final BlockingQueue<RecordedClose> closes = new LinkedBlockingQueue<>();
  private final BlockingQueue<Exception> errors = new LinkedBlockingQueue<>();
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile HttpHead response;
  private volatile RecordedClose endState;

  private JwsTestClient(
      URI uri, Map<String, String> headers, List<String> subprotocols, boolean deflate) {
    List<IExtension> extensions = new ArrayList<>();
    if (deflate) {
      extensions.add(new PerMessageDeflateExtension());
    }
    List<IProtocol> protocols = new ArrayList<>();
    for (String p : subprotocols) {
      protocols.add(new Protocol(p));
    }
    protocols.add(new Protocol(""));
    WireTap tap = new WireTap(MAX_FRAME_SIZE + 14L, head -> {
      response = head;
      return head.statusCode() == 101;
    }, frames::add);
    this.socket = new TappedSocket(tap);
    this.client = new Client(uri, new Draft_6455(extensions, protocols, MAX_FRAME_SIZE), headers);
    client.setConnectionLostTimeout(0);
    client.setTcpNoDelay(true);
    client.setDaemon(true);
    client.setSocketFactory(socket.factory());
  }

  /**
   * Connects and completes the opening handshake.
   *
   * @param uri a {@code ws://} URI
   * @return the open client
   * @throws IOException if the connection or the handshake fails, or takes over 10 s; the
   *     message has the status line received, if any
   */
  public static JwsTestClient connect(URI uri) throws IOException {
    return connect(uri, Map.of(), List.of(), false);
  }

  /**
   * Connects with extra headers, subprotocols and optionally a permessage-deflate offer
   * (Java-WebSocket's, which also offers both {@code *_no_context_takeover} parameters).
   *
   * @param uri a {@code ws://} URI
   * @param headers extra request headers (Upgrade, Connection, Sec-WebSocket-Key and -Version are
   *     overwritten by the library)
   * @param subprotocols subprotocols to offer, in order; may be empty
   * @param permessageDeflate whether to offer permessage-deflate
   * @return the open client
   * @throws IOException if the connection or the handshake fails, or takes over 10 s
   */
  public static JwsTestClient connect(
      URI uri, Map<String, String> headers, List<String> subprotocols, boolean permessageDeflate)
      throws IOException {
    Objects.requireNonNull(uri, "uri");
    JwsTestClient c = new JwsTestClient(uri, headers, subprotocols, permessageDeflate);
    boolean open;
    try {
      open = c.client.connectBlocking(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      c.close();
      throw new IOException("interrupted while connecting to " + uri, e);
    }
    if (!open) {
      HttpHead head = c.response;
      RecordedClose close = c.closes.peek();
      c.close();
      throw new IOException("WebSocket handshake with " + uri + " failed"
          + (head != null ? ": " + head.startLine() : "")
          + (close != null ? " (" + close.code() + " " + close.reason() + ")" : ""));
    }
    return c;
  }

  /**
   * Attempts a handshake that is expected to fail and returns the server's response head (null if
   * it sent none).
   *
   * @param uri the URI to connect to
   * @param headers extra handshake request headers
   * @return the server's response head, or null
   * @throws AssertionError if the handshake succeeded
   */
  public static HttpHead handshakeFailure(URI uri, Map<String, String> headers) {
    JwsTestClient c = new JwsTestClient(uri, headers, List.of(), false);
    try {
      if (c.client.connectBlocking(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("handshake with " + uri + " succeeded; expected it to fail");
      }
      return c.response;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } finally {
      c.close();
    }
  }

  /**
   * Sends a text message (compressed if permessage-deflate was negotiated).
   *
   * @param text the message's text
   */
  public void sendText(String text) {
    client.send(text);
  }

  /**
   * Sends a binary message (compressed if permessage-deflate was negotiated).
   *
   * @param data the message's bytes
   */
  public void sendBinary(byte[] data) {
    client.send(data);
  }

  /**
   * Sends a ping.
   *
   * @param data the ping's payload
   */
  public void sendPing(byte[] data) {
    sendFrames(List.of(WireFrame.ping(data)));
  }

  /**
   * Sends exact frames, each masked with a random key, in one write, without compression or
   * validation (e.g. a fragmented message with a ping in the middle, or reserved opcodes). The
   * connection's state does not change: to close, use {@link #close(int, String)}.
   *
   * @param framesToSend the frames to send, in order
   */
  public void sendFrames(List<WireFrame> framesToSend) {
    RawFrameQueue.send((WebSocketImpl) client.getConnection(), framesToSend, true);
  }

  /**
   * Sends frames unmasked: a protocol violation for a client.
   *
   * @param framesToSend the frames to send, in order
   */
  public void sendFramesUnmasked(List<WireFrame> framesToSend) {
    RawFrameQueue.send((WebSocketImpl) client.getConnection(), framesToSend, false);
  }

  /**
   * Starts the closing handshake with a close frame; see {@link #awaitClose(Duration)}.
   * Java-WebSocket refuses to send 1005, 1006 and 1015 (it closes with 1006 without a frame) and
   * sends reasons over 123 bytes as an invalid frame.
   *
   * @param code the close code
   * @param reason the close reason
   */
  public void close(int code, String reason) {
    client.close(code, reason);
  }

  /**
   * The next text message; AssertionError if none arrives within {@code timeout}.
   *
   * @param timeout how long to wait
   * @return the message's text
   */
  public String awaitText(Duration timeout) {
    return take(texts, timeout, "text message");
  }

  /**
   * The next text message, or null if none arrives within {@code timeout}.
   *
   * @param timeout how long to wait
   * @return the message's text, or null
   */
  public String pollText(Duration timeout) {
    return poll(texts, timeout);
  }

  /**
   * The next binary message; AssertionError if none arrives within {@code timeout}.
   *
   * @param timeout how long to wait
   * @return the message's bytes
   */
  public byte[] awaitBinary(Duration timeout) {
    return take(binaries, timeout, "binary message");
  }

  /**
   * The next binary message, or null if none arrives within {@code timeout}.
   *
   * @param timeout how long to wait
   * @return the message's bytes, or null
   */
  public byte[] pollBinary(Duration timeout) {
    return poll(binaries, timeout);
  }

  /**
   * The payload of the next ping received (already answered by the library).
   *
   * @param timeout how long to wait
   * @return the ping's payload
   */
  public byte[] awaitPing(Duration timeout) {
    return take(pings, timeout, "ping");
  }

  /**
   * The payload of the next pong received.
   *
   * @param timeout how long to wait
   * @return the pong's payload
   */
  public byte[] awaitPong(Duration timeout) {
    return take(pongs, timeout, "pong");
  }

  /**
   * How the connection ended, as Java-WebSocket reports it: the code and reason, and whether the
   * server initiated the close. 1006 means no close frame; an empty close frame is reported as
   * 1000; when this client initiated the close, the code is its own.
   *
   * @param timeout how long to wait
   * @return how the connection ended
   * @throws AssertionError if it has not ended within {@code timeout}
   */
  public RecordedClose awaitClose(Duration timeout) {
    return take(closes, timeout, "close");
  }

  /**
   * The next error Java-WebSocket reported (protocol violations, I/O errors).
   *
   * @param timeout how long to wait
   * @return the error
   */
  public Exception awaitError(Duration timeout) {
    return take(errors, timeout, "error");
  }

  /**
   * Every frame received, exactly as on the wire (compressed payloads stay compressed).
   *
   * @return the received frames, in order; a copy
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
    Await.until(() -> frames.size() >= n, timeout, n + " frame(s) received by the client");
    return receivedFrames();
  }

  /**
   * The server's handshake response head, exactly as received.
   *
   * @return the handshake response head
   */
  public HttpHead handshakeResponse() {
    return response;
  }

  /**
   * A header of the server's handshake response (case-insensitive), or null if absent.
   *
   * @param name the header's name
   * @return the header's value, or null
   */
  public String handshakeHeader(String name) {
    HttpHead head = response;
    return head == null ? null : head.header(name);
  }

  /**
   * The subprotocol the server selected, or "" if none.
   *
   * @return the selected subprotocol, or ""
   */
  public String subprotocol() {
    String protocol = handshakeHeader("Sec-WebSocket-Protocol");
    return protocol == null ? "" : protocol;
  }

  /**
   * Whether the connection is open.
   *
   * @return whether the connection is open
   */
  public boolean isOpen() {
    return client.isOpen();
  }

  /** Closes the TCP connection at once, without a close frame. */
  public void abort() {
    try {
      socket.setSoLinger(true, 0);
    } catch (IOException e) {
      // already closed
    }
    closeSocket();
  }

  /**
   * Closes: sends a 1000 close frame if the connection is open, waits up to 2 s for it to end,
   * then closes the socket and waits for the library's threads to end. Idempotent.
   */
  @Override
  public void close() {
    if (client.isOpen()) {
      client.close(1000, "");
    }
    try {
      ended.await(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeSocket();
    client.joinReadThread();
  }

  private void closeSocket() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing
    }
  }

  private <T> T poll(BlockingQueue<T> queue, Duration timeout) {
    try {
      return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting", e);
    }
  }

  private <T> T take(BlockingQueue<T> queue, Duration timeout, String what) {
    T value = poll(queue, timeout);
    if (value == null) {
      RecordedClose state = endState;
      throw new AssertionError("no " + what + " within " + timeout
          + (state == null ? "" : "; connection ended: " + state));
    }
    return value;
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] b = new byte[buffer.remaining()];
    buffer.duplicate().get(b);
    return b;
  }

  /** The library client; its callbacks run on its read thread. */
  private final class Client extends WebSocketClient {
    private volatile Thread readThread;

    Client(URI uri, Draft_6455 draft, Map<String, String> headers) {
      super(uri, draft, headers, (int) DEFAULT_TIMEOUT.toMillis());
    }

    @Override
    public void run() {
      readThread = Thread.currentThread();
      super.run();
    }

    void joinReadThread() {
      Thread t = readThread;
      if (t != null && t != Thread.currentThread()) {
        try {
          t.join(5_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public void onOpen(ServerHandshake handshake) {}

    @Override
    public void onMessage(String message) {
      texts.add(message);
    }

    @Override
    public void onMessage(ByteBuffer message) {
      binaries.add(bytes(message));
    }

    @Override
    public void onWebsocketPing(WebSocket conn, Framedata f) {
      pings.add(bytes(f.getPayloadData()));
      super.onWebsocketPing(conn, f);
    }

    @Override
    public void onWebsocketPong(WebSocket conn, Framedata f) {
      pongs.add(bytes(f.getPayloadData()));
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
      RecordedClose close = new RecordedClose(code, reason == null ? "" : reason, remote);
      endState = close;
      closes.add(close);
      ended.countDown();
    }

    @Override
    public void onError(Exception ex) {
      errors.add(ex);
    }
  }
}
