package io.github.wsproxy.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A WebSocket client on the JDK's {@link java.net.http.WebSocket}, a strict and independent
 * implementation, that queues everything it receives.
 *
 * <pre>{@code
 * try (JdkTestClient client = JdkTestClient.connect(proxyUri)) {
 *   client.sendText("hello");
 *   assertThat(client.awaitText(Duration.ofSeconds(5))).isEqualTo("hello");
 *   client.sendClose(1000, "done");
 *   assertThat(client.awaitClose(Duration.ofSeconds(5)).code()).isEqualTo(1000);
 * }
 * }</pre>
 *
 * <p>Whole messages are queued (fragments are joined), in arrival order per kind; demand is
 * unbounded, so the client never stalls the server. The JDK answers pings with pongs by itself and
 * answers a close frame with a close frame of the same code (1000 for 1005). Sends wait until the
 * JDK has written the frame (it allows one pending send at a time).
 *
 * <p>All clients share one {@link HttpClient} whose threads are daemons ({@code HttpClient} cannot
 * be closed on Java 17), so closing a client leaks neither threads nor sockets; {@code wss://}
 * clients with their own {@link SSLContext} share one {@code HttpClient} per context.
 */
public final class JdkTestClient implements AutoCloseable {

  /** The connect and send timeout: 10 seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private static final Object SHARED_LOCK = new Object();
  private static HttpClient shared;
  private static ExecutorService sharedExecutor;
  private static final Map<SSLContext, HttpClient> TLS_CLIENTS = new IdentityHashMap<>();

  private final WebSocket webSocket;
  private final Collector collector;

  private JdkTestClient(WebSocket webSocket, Collector collector) {
    this.webSocket = webSocket;
    this.collector = collector;
  }

  /**
   * Connects and completes the opening handshake.
   *
   * @param uri a {@code ws://} URI
   * @return the open client
   * @throws WebSocketHandshakeException if the server answered with something else than a valid
   *     101; {@code getResponse().statusCode()} has the status, {@code body()} the body as a String
   * @throws IOException if the connection fails or the handshake times out (10 s)
   */
  public static JdkTestClient connect(URI uri) throws IOException {
    return connect(uri, List.of(), Map.of());
  }

  /**
   * Connects with subprotocols and extra request headers, in order. The JDK refuses to set some
   * headers itself (Host, Connection, Upgrade, Sec-WebSocket-*): use {@link RawClient} for those.
   *
   * @param uri a {@code ws://} URI
   * @param subprotocols the subprotocols to offer, in preference order; may be empty
   * @param headers extra request headers
   * @return the open client
   * @throws WebSocketHandshakeException if the server did not answer with a valid 101
   * @throws IOException if the connection fails or the handshake times out (10 s)
   */
  public static JdkTestClient connect(
      URI uri, List<String> subprotocols, Map<String, String> headers) throws IOException {
    return connect(httpClient(), uri, subprotocols, headers);
  }

  /**
   * Connects to a {@code wss://} URI with a TLS context: its trust decides which server
   * certificates are accepted (the host name is verified too), its key managers the client
   * certificate presented, if any.
   *
   * @param uri the {@code wss://} URI to connect to
   * @param tls the TLS context whose trust and key managers the client uses
   * @return the connected client
   * @throws WebSocketHandshakeException if the server did not answer with a valid 101
   * @throws IOException if the connection or the TLS handshake fails, or the handshake times out
   */
  public static JdkTestClient connect(URI uri, SSLContext tls) throws IOException {
    Objects.requireNonNull(tls, "tls");
    HttpClient client;
    synchronized (SHARED_LOCK) {
      client = TLS_CLIENTS.computeIfAbsent(tls,
          context -> HttpClient.newBuilder().executor(executor()).sslContext(context).build());
    }
    return connect(client, uri, List.of(), Map.of());
  }

  private static JdkTestClient connect(HttpClient httpClient,
      URI uri, List<String> subprotocols, Map<String, String> headers) throws IOException {
    Objects.requireNonNull(uri, "uri");
    Collector collector = new Collector();
    WebSocket.Builder builder = httpClient.newWebSocketBuilder().connectTimeout(DEFAULT_TIMEOUT);
    headers.forEach(builder::header);
    if (!subprotocols.isEmpty()) {
      builder.subprotocols(
          subprotocols.get(0), subprotocols.subList(1, subprotocols.size()).toArray(new String[0]));
    }
    CompletableFuture<WebSocket> future = builder.buildAsync(uri, collector);
    try {
      return new JdkTestClient(
          future.get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), collector);
    } catch (ExecutionException e) {
      throw asIoException(e.getCause());
    } catch (TimeoutException e) {
      future.thenAccept(WebSocket::abort);
      throw new IOException("opening handshake with " + uri + " took over " + DEFAULT_TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.thenAccept(WebSocket::abort);
      throw new IOException("interrupted while connecting to " + uri, e);
    }
  }

  /**
   * Attempts a handshake that is expected to fail and returns the HTTP status the server
   * answered.
   *
   * @param uri the URI to connect to
   * @return the HTTP status of the server's answer
   * @throws AssertionError if the handshake succeeded, or failed without an HTTP response
   */
  public static int handshakeFailureStatus(URI uri) {
    return handshakeFailure(uri, List.of(), Map.of()).getResponse().statusCode();
  }

  /**
   * Like {@link #handshakeFailureStatus(URI)} with subprotocols and extra headers.
   *
   * @param uri the URI to connect to
   * @param subprotocols the subprotocols offered; possibly empty
   * @param headers extra handshake request headers
   * @return the HTTP status of the server's answer
   */
  public static int handshakeFailureStatus(
      URI uri, List<String> subprotocols, Map<String, String> headers) {
    return handshakeFailure(uri, subprotocols, headers).getResponse().statusCode();
  }

  /**
   * Attempts a handshake that is expected to fail and returns the exception; its {@code
   * getResponse()} has the status, the headers and the body (a String).
   *
   * @param uri the URI to connect to
   * @param subprotocols the subprotocols offered; possibly empty
   * @param headers extra handshake request headers
   * @return the exception the failed handshake raised
   * @throws AssertionError if the handshake succeeded, or failed without an HTTP response
   */
  public static WebSocketHandshakeException handshakeFailure(
      URI uri, List<String> subprotocols, Map<String, String> headers) {
    JdkTestClient client;
    try {
      client = connect(uri, subprotocols, headers);
    } catch (WebSocketHandshakeException e) {
      return e;
    } catch (IOException e) {
      throw new AssertionError("handshake with " + uri + " failed without an HTTP response", e);
    }
    client.abort();
    throw new AssertionError("handshake with " + uri + " succeeded; expected it to fail");
  }

  private static HttpClient httpClient() {
    synchronized (SHARED_LOCK) {
      if (shared == null) {
        shared = HttpClient.newBuilder().executor(executor()).build();
      }
      return shared;
    }
  }

  private static ExecutorService executor() {
    synchronized (SHARED_LOCK) {
      if (sharedExecutor == null) {
        AtomicInteger count = new AtomicInteger();
        sharedExecutor = new ThreadPoolExecutor(
            0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
              Thread t = new Thread(r, "jdk-test-client-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
      }
      return sharedExecutor;
    }
  }

  private static IOException asIoException(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof IOException) {
      return (IOException) t;
    }
    if (t instanceof RuntimeException) {
      throw (RuntimeException) t;
    }
    if (t instanceof Error) {
      throw (Error) t;
    }
    return new IOException(t);
  }

  /**
   * Sends a text message.
   *
   * @param text the message's text
   * @throws IOException if the send fails or does not complete within 10 s
   */
  public void sendText(String text) throws IOException {
    await(webSocket.sendText(text, true));
  }

  /**
   * Sends one text fragment; {@code last} ends the message.
   *
   * @param text the fragment's text
   * @param last whether this fragment ends the message
   * @throws IOException if the send fails or does not complete within 10 s
   */
  public void sendText(String text, boolean last) throws IOException {
    await(webSocket.sendText(text, last));
  }

  /**
   * Sends a binary message.
   *
   * @param data the message's bytes
   * @throws IOException if the send fails or does not complete within 10 s
   */
  public void sendBinary(byte[] data) throws IOException {
    await(webSocket.sendBinary(ByteBuffer.wrap(data), true));
  }

  /**
   * Sends one binary fragment; {@code last} ends the message.
   *
   * @param data the fragment's bytes
   * @param last whether this fragment ends the message
   * @throws IOException if the send fails or does not complete within 10 s
   */
  public void sendBinary(byte[] data, boolean last) throws IOException {
    await(webSocket.sendBinary(ByteBuffer.wrap(data), last));
  }

  /**
   * Sends a ping (at most 125 bytes).
   *
   * @param data the ping's payload
   * @throws IOException if the send fails or does not complete within 10 s
   */
  public void sendPing(byte[] data) throws IOException {
    await(webSocket.sendPing(ByteBuffer.wrap(data)));
  }

  /**
   * Sends an unsolicited pong (at most 125 bytes).
   *
   * @param data the pong's payload
   * @throws IOException if the send fails or does not complete within 10 s
   */
  public void sendPong(byte[] data) throws IOException {
    await(webSocket.sendPong(ByteBuffer.wrap(data)));
  }

  /**
   * Sends a close frame (the JDK accepts 1000 and 3000–4999, and reasons up to 123 bytes); the
   * input stays open until the server answers, see {@link #awaitClose(Duration)}.
   *
   * @param code the close code
   * @param reason the close reason
   * @throws IOException if the send fails or does not complete within 10 s
   */
  public void sendClose(int code, String reason) throws IOException {
    await(webSocket.sendClose(code, reason));
  }

  private void await(CompletableFuture<WebSocket> send) throws IOException {
    try {
      send.get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw asIoException(e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("send not completed within " + DEFAULT_TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while sending", e);
    }
  }

  /**
   * The next text message, waiting up to {@code timeout}; AssertionError if none arrives.
   *
   * @param timeout how long to wait
   * @return the message's text
   */
  public String awaitText(Duration timeout) {
    return collector.take(collector.texts, timeout, "text message");
  }

  /**
   * The next text message, or null if none arrives within {@code timeout}.
   *
   * @param timeout how long to wait
   * @return the message's text, or null
   */
  public String pollText(Duration timeout) {
    return collector.poll(collector.texts, timeout);
  }

  /**
   * The next binary message, waiting up to {@code timeout}; AssertionError if none arrives.
   *
   * @param timeout how long to wait
   * @return the message's bytes
   */
  public byte[] awaitBinary(Duration timeout) {
    return collector.take(collector.binaries, timeout, "binary message");
  }

  /**
   * The next binary message, or null if none arrives within {@code timeout}.
   *
   * @param timeout how long to wait
   * @return the message's bytes, or null
   */
  public byte[] pollBinary(Duration timeout) {
    return collector.poll(collector.binaries, timeout);
  }

  /**
   * The payload of the next pong received; AssertionError if none arrives.
   *
   * @param timeout how long to wait
   * @return the pong's payload
   */
  public byte[] awaitPong(Duration timeout) {
    return collector.take(collector.pongs, timeout, "pong");
  }

  /**
   * The payload of the next ping received (already answered by the JDK).
   *
   * @param timeout how long to wait
   * @return the ping's payload
   */
  public byte[] awaitPing(Duration timeout) {
    return collector.take(collector.pings, timeout, "ping");
  }

  /**
   * How the server closed: its close frame's code (1005 if it had none) and reason, or 1006 and ""
   * if the TCP connection ended without a close frame (the JDK reports that as a close, not an
   * error); {@code remote} is always true.
   *
   * @param timeout how long to wait
   * @return the server's close
   * @throws AssertionError if none arrives within {@code timeout}
   */
  public RecordedClose awaitClose(Duration timeout) {
    return collector.take(collector.closes, timeout, "close frame");
  }

  /**
   * The error that ended the connection, e.g. a protocol violation by the server (a masked frame,
   * a bad opcode) or a failed write.
   *
   * @param timeout how long to wait
   * @return the error
   * @throws AssertionError if none occurs within {@code timeout}
   */
  public Throwable awaitError(Duration timeout) {
    return collector.take(collector.errors, timeout, "error");
  }

  /**
   * The subprotocol the server selected, or "" if none.
   *
   * @return the selected subprotocol, or ""
   */
  public String subprotocol() {
    return webSocket.getSubprotocol();
  }

  /**
   * Whether the input is closed: a close frame was received or an error occurred.
   *
   * @return whether the input is closed
   */
  public boolean isInputClosed() {
    return webSocket.isInputClosed();
  }

  /**
   * Whether the output is closed: a close frame was sent or an error occurred.
   *
   * @return whether the output is closed
   */
  public boolean isOutputClosed() {
    return webSocket.isOutputClosed();
  }

  /**
   * The JDK WebSocket, for what this class does not cover.
   *
   * @return the underlying JDK WebSocket
   */
  public WebSocket webSocket() {
    return webSocket;
  }

  /** Closes the TCP connection at once, without a close frame. */
  public void abort() {
    webSocket.abort();
  }

  /**
   * Closes: sends a 1000 close frame if none was sent, waits up to 2 s for the server's, then
   * aborts the TCP connection. Idempotent.
   */
  @Override
  public void close() {
    if (!webSocket.isOutputClosed()) {
      try {
        webSocket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(2, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException | RuntimeException e) {
        // the connection is broken or stalled; abort below
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      collector.ended.await(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    webSocket.abort();
  }

  /** The listener: joins fragments and queues whole messages and events. */
  private static final class Collector extends WholeMessageListener {
    final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> binaries = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> pings = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> pongs = new LinkedBlockingQueue<>();
    final BlockingQueue<RecordedClose> closes = new LinkedBlockingQueue<>();
    final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
    final CountDownLatch ended = new CountDownLatch(1);
    private volatile String endState;

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(Long.MAX_VALUE);
    }

    @Override
    protected void onWholeText(String message) {
      texts.add(message);
    }

    @Override
    protected void onWholeBinary(byte[] message) {
      binaries.add(message);
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
      pings.add(copy(message));
      return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
      pongs.add(copy(message));
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      endState = "closed by server with " + statusCode + " \"" + reason + "\"";
      closes.add(new RecordedClose(statusCode, reason, true));
      ended.countDown();
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      endState = "failed with " + error;
      errors.add(error);
      ended.countDown();
    }

    private static byte[] copy(ByteBuffer buffer) {
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    }

    <T> T poll(BlockingQueue<T> queue, Duration timeout) {
      try {
        return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting", e);
      }
    }

    <T> T take(BlockingQueue<T> queue, Duration timeout, String what) {
      T value = poll(queue, timeout);
      if (value == null) {
        String state = endState;
        throw new AssertionError(
            "no " + what + " within " + timeout + (state == null ? "" : "; connection " + state));
      }
      return value;
    }
  }
}
