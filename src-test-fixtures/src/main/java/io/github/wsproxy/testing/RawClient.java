package io.github.wsproxy.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A WebSocket client on a plain blocking {@link Socket} that sends and reads exact bytes, for
 * precise and hostile tests: it checks nothing and lets the test assert everything.
 *
 * <pre>{@code
 * try (RawClient client = RawClient.connect(proxy.port())) {
 *   HttpHead response = client.handshake("/chat?room=1", Map.of("Origin", "http://test"));
 *   assertThat(response.statusCode()).isEqualTo(101);
 *   assertThat(response.header("Sec-WebSocket-Accept")).isEqualTo(client.expectedAccept());
 *   client.sendFrame(WireFrame.text("hello"));
 *   assertThat(client.readFrame(Duration.ofSeconds(5)).payloadText()).isEqualTo("hello");
 *   client.sendFrame(WireFrame.close(1000, ""));
 *   assertThat(client.readFrame(Duration.ofSeconds(5)).closeCode()).isEqualTo(1000);
 *   assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
 * }
 * }</pre>
 *
 * <p>Reads happen on the calling thread, with the given timeouts applied as socket timeouts;
 * received bytes are buffered, so a read that times out loses nothing. Not for concurrent reads;
 * writes may come from any thread.
 */
public final class RawClient implements AutoCloseable {

  /** The timeout of {@link #handshake(String, Map)}: 10 seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private final RawSocketPeer peer;
  private final String hostHeader;
  private volatile String key;
  private int maxPayload = WireFrame.DEFAULT_MAX_PAYLOAD;

  private RawClient(Socket socket, String hostHeader) throws IOException {
    this.peer = new RawSocketPeer(socket, null);
    this.hostHeader = hostHeader;
  }

  /**
   * Connects to 127.0.0.1:{@code port}.
   *
   * @param port the port, e.g. a proxy's {@code port()}
   * @return the connected client
   * @throws IOException if the connection fails
   */
  public static RawClient connect(int port) throws IOException {
    return connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
  }

  /**
   * Connects to an address (10 s connect timeout).
   *
   * @param address where to connect
   * @return the connected client
   * @throws IOException if the connection fails
   */
  public static RawClient connect(InetSocketAddress address) throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(address, 10_000);
      String host = address.getAddress() != null
          ? address.getAddress().getHostAddress()
          : address.getHostString();
      if (host.contains(":")) {
        host = "[" + host + "]";
      }
      return new RawClient(socket, host + ":" + address.getPort());
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
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
   * Sends an upgrade request and reads the response head; see {@link
   * #sendHandshakeRequest(String, Map)} for the request and {@link #readResponse(Duration)} for
   * reading. Nothing is verified.
   *
   * @param pathAndQuery the request target, e.g. {@code "/chat?room=1"}
   * @param extraHeaders headers sent after the defaults, in the map's iteration order
   * @return the response head (and body, if it has a Content-Length)
   * @throws AssertionError if no complete response arrives within {@link #DEFAULT_TIMEOUT} or the
   *     connection ends first
   * @throws IOException if writing fails, or the response head is malformed or oversized (64 KiB)
   */
  public HttpHead handshake(String pathAndQuery, Map<String, String> extraHeaders)
      throws IOException {
    sendHandshakeRequest(pathAndQuery, extraHeaders);
    return readResponse(DEFAULT_TIMEOUT);
  }

  /**
   * Like {@link #handshake(String, Map)} with no extra headers.
   *
   * @param pathAndQuery the request target
   * @return the response head (and body, if it has a Content-Length)
   * @throws IOException if writing fails, or the response head is malformed or oversized (64 KiB)
   */
  public HttpHead handshake(String pathAndQuery) throws IOException {
    return handshake(pathAndQuery, Map.of());
  }

  /**
   * Like {@link #handshake(String, Map)}, with extra headers given as alternating names and values:
   * {@code handshake("/", "Origin", "http://x", "Cookie", "a=1")}.
   *
   * @param pathAndQuery the request target
   * @param extraHeaderNamesAndValues header names, each followed by its value
   * @return the response head (and body, if it has a Content-Length)
   * @throws IOException if writing fails, or the response head is malformed or oversized (64 KiB)
   */
  public HttpHead handshake(String pathAndQuery, String... extraHeaderNamesAndValues)
      throws IOException {
    if (extraHeaderNamesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("names and values must alternate");
    }
    Map<String, String> extra = new LinkedHashMap<>();
    for (int i = 0; i < extraHeaderNamesAndValues.length; i += 2) {
      extra.put(extraHeaderNamesAndValues[i], extraHeaderNamesAndValues[i + 1]);
    }
    return handshake(pathAndQuery, extra);
  }

  /**
   * Sends a correct WebSocket upgrade request without reading the answer: {@code GET
   * pathAndQuery HTTP/1.1}, then {@code Host: 127.0.0.1:PORT}, {@code Upgrade: websocket}, {@code
   * Connection: Upgrade}, {@code Sec-WebSocket-Key} (fresh random), {@code
   * Sec-WebSocket-Version: 13}, then the extra headers. An extra header named like a default one
   * (any case) replaces it in place; an extra header with a null value removes the default.
   *
   * @param pathAndQuery the request target
   * @param extraHeaders extra headers in iteration order (use a {@link LinkedHashMap} for order)
   * @throws IOException if writing fails
   */
  public void sendHandshakeRequest(String pathAndQuery, Map<String, String> extraHeaders)
      throws IOException {
    Objects.requireNonNull(pathAndQuery, "pathAndQuery");
    String newKey = Handshakes.newKey();
    List<String[]> headers = new ArrayList<>();
    headers.add(new String[] {"Host", hostHeader});
    headers.add(new String[] {"Upgrade", "websocket"});
    headers.add(new String[] {"Connection", "Upgrade"});
    headers.add(new String[] {"Sec-WebSocket-Key", newKey});
    headers.add(new String[] {"Sec-WebSocket-Version", "13"});
    List<String[]> extras = new ArrayList<>();
    for (Map.Entry<String, String> e : extraHeaders.entrySet()) {
      String[] same = headers.stream()
          .filter(h -> h[0].equalsIgnoreCase(e.getKey()))
          .findFirst()
          .orElse(null);
      if (same == null) {
        if (e.getValue() != null) {
          extras.add(new String[] {e.getKey(), e.getValue()});
        }
      } else {
        same[0] = e.getKey();
        same[1] = e.getValue();
      }
    }
    headers.addAll(extras);
    StringBuilder request = new StringBuilder("GET ").append(pathAndQuery).append(" HTTP/1.1\r\n");
    String sentKey = null;
    for (String[] h : headers) {
      if (h[1] != null) {
        request.append(h[0]).append(": ").append(h[1]).append("\r\n");
        if (h[0].equalsIgnoreCase("Sec-WebSocket-Key")) {
          sentKey = h[1];
        }
      }
    }
    request.append("\r\n");
    key = sentKey;
    peer.write(request.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads an HTTP response head, and its body if it has a Content-Length. A chunked body is not
   * decoded: its bytes stay buffered for {@link #readBytes(int, Duration)}. Bytes after the
   * response (e.g. frames right after a 101) stay buffered for the frame reads.
   *
   * @param timeout how long to wait for the complete response
   * @return the response
   * @throws AssertionError on timeout or if the connection ends first
   * @throws IOException on a malformed or oversized (64 KiB) head
   */
  public HttpHead readResponse(Duration timeout) throws IOException {
    return peer.readHead(timeout, HttpHead.DEFAULT_MAX_HEAD_BYTES);
  }

  /**
   * The Sec-WebSocket-Key of the last handshake sent, or null if none (or it was removed).
   *
   * @return the last key sent, or null
   */
  public String key() {
    return key;
  }

  /**
   * The Sec-WebSocket-Accept a server must answer to the last key sent, or null.
   *
   * @return the expected accept value, or null
   */
  public String expectedAccept() {
    String k = key;
    return k == null ? null : Handshakes.acceptFor(k);
  }

  /**
   * Sends a frame masked with a fresh random key, as a client must.
   *
   * @param frame the frame to send
   * @throws IOException if writing fails
   */
  public void sendFrame(WireFrame frame) throws IOException {
    peer.write(WireFrame.encode(frame, WireFrame.randomMaskKey()));
  }

  /**
   * Sends a frame masked with the given 4-byte key.
   *
   * @param frame the frame to send
   * @param maskKey the 4-byte masking key
   * @throws IOException if writing fails
   */
  public void sendFrame(WireFrame frame, byte[] maskKey) throws IOException {
    peer.write(WireFrame.encode(frame, maskKey));
  }

  /**
   * Sends a frame unmasked: a protocol violation for a client, for negative tests.
   *
   * @param frame the frame to send
   * @throws IOException if writing fails
   */
  public void sendFrameUnmasked(WireFrame frame) throws IOException {
    peer.write(WireFrame.encode(frame, null));
  }

  /**
   * Sends frames, each masked with its own random key, in a single write.
   *
   * @param frames the frames to send, in order
   * @throws IOException if writing fails
   */
  public void sendFrames(WireFrame... frames) throws IOException {
    peer.writeFrames(Arrays.asList(frames), true);
  }

  /**
   * Sends frames, each masked with its own random key, in a single write.
   *
   * @param frames the frames to send, in order
   * @throws IOException if writing fails
   */
  public void sendFrames(List<WireFrame> frames) throws IOException {
    peer.writeFrames(frames, true);
  }

  /**
   * Reads the next frame.
   *
   * @param timeout how long to wait for the complete frame
   * @return the frame; {@link WireFrame#masked()} tells whether the server masked it
   * @throws AssertionError on timeout, or if the connection ends before a complete frame
   * @throws IOException if the frame is larger than {@link #maxPayload(int)}
   */
  public WireFrame readFrame(Duration timeout) throws IOException {
    return peer.readFrame(timeout, maxPayload);
  }

  /**
   * Reads the next frame, or returns null if none is complete within {@code timeout} (use it to
   * assert that nothing arrives).
   *
   * @param timeout how long to wait for a complete frame
   * @return the frame, or null
   * @throws AssertionError if the connection ends before a complete frame
   * @throws IOException if the frame is larger than {@link #maxPayload(int)}
   */
  public WireFrame pollFrame(Duration timeout) throws IOException {
    return peer.pollFrame(timeout, maxPayload);
  }

  /**
   * Reads frames until one is not a ping or pong, and returns it (pings are not answered).
   *
   * @param timeout how long to wait, for all the frames read
   * @return the first frame that is neither a ping nor a pong
   * @throws AssertionError on timeout, or if the connection ends before such a frame
   * @throws IOException if a frame is larger than {@link #maxPayload(int)}
   */
  public WireFrame readFrameSkippingPingPong(Duration timeout) throws IOException {
    long deadline = Await.deadline(timeout);
    while (true) {
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      WireFrame frame = peer.readFrame(left, maxPayload);
      if (frame.opcode() != WireFrame.PING && frame.opcode() != WireFrame.PONG) {
        return frame;
      }
    }
  }

  /**
   * Reads exactly {@code n} raw bytes (e.g. to check a frame's exact encoding).
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
   * Waits until the server closes the TCP connection (end of stream or reset). Bytes that arrive
   * meanwhile stay buffered for later reads.
   *
   * @param timeout how long to wait
   * @return true if the connection ended, false on timeout
   * @throws IOException on a read error
   */
  public boolean awaitEof(Duration timeout) throws IOException {
    return peer.awaitEof(timeout);
  }

  /**
   * Whether the last {@link #awaitEof} or read saw a reset (RST) rather than a clean end.
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
   * The next frame, or null if the server ended the connection first (no more frames).
   *
   * @param timeout how long to wait for a complete frame
   * @return the frame, or null
   * @throws AssertionError on timeout
   * @throws IOException if the frame is larger than {@link #maxPayload(int)}
   */
  public WireFrame readFrameOrEof(Duration timeout) throws IOException {
    return peer.readFrameOrEof(timeout, maxPayload);
  }

  /**
   * Sets the largest payload {@link #readFrame} accepts (default 16 MiB); returns this.
   *
   * @param bytes the largest payload, in bytes
   * @return this client
   */
  public RawClient maxPayload(int bytes) {
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

  /** Closes abruptly with SO_LINGER 0, so the server sees a TCP reset (RST). */
  public void abort() {
    peer.abort();
  }

  /**
   * The local port of this client's socket.
   *
   * @return the local port
   */
  public int localPort() {
    return peer.socket().getLocalPort();
  }

  /**
   * The underlying socket, for socket options this class does not cover.
   *
   * @return the socket
   */
  public Socket socket() {
    return peer.socket();
  }

  /** Closes the socket (FIN). Idempotent. */
  @Override
  public void close() {
    peer.close();
  }
}
