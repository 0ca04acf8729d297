package io.github.wsproxy.internal.intercept;

import io.github.wsproxy.Message;
import io.github.wsproxy.ProxyConnection;
import io.github.wsproxy.internal.frame.WebSocketProtocol;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link ProxyConnection} interceptors get: thread-safe; sending and closing are handed to the
 * connection's event loop through its {@link Control}.
 */
public final class ConnectionHandle implements ProxyConnection {

  /** What the connection does for its handle; every method is called on the connection's loop. */
  public interface Control {
    /** Runs a task on the connection's event loop. */
    void execute(Runnable task);

    /** Queues a message of the proxy's own travelling in {@code direction}. */
    void inject(Direction direction, Message message, int bytes);

    /** Closes both legs with this code and reason. */
    void close(int code, String reason);
  }

  private final long id;
  private final InetSocketAddress remoteAddress;
  private final String target;
  private final X509Certificate clientCertificate;
  private final long maxQueuedBytes;
  private final ConcurrentHashMap<String, Object> attributes = new ConcurrentHashMap<>();
  private final AtomicLong queuedBytes = new AtomicLong();
  private Control control;
  private volatile boolean open;
  private volatile String subprotocol;

  public ConnectionHandle(long id, InetSocketAddress remoteAddress, X509Certificate clientCertificate, String target,
      long maxQueuedBytes) {
    this.id = id;
    this.remoteAddress = remoteAddress;
    this.clientCertificate = clientCertificate;
    this.target = target;
    this.maxQueuedBytes = maxQueuedBytes;
  }

  /** Connects the handle to its connection; before this, nothing can be sent. */
  public void bind(Control connection) {
    this.control = connection;
  }

  /** The connection is open (both 101s done) with this subprotocol, or closing ({@code false}). */
  public void opened(String chosenSubprotocol) {
    this.subprotocol = chosenSubprotocol;
    this.open = true;
  }

  public void closing() {
    this.open = false;
  }

  /** Bytes of an injected message have been written, or dropped. */
  public void released(int bytes) {
    queuedBytes.addAndGet(-bytes);
  }

  @Override
  public long id() {
    return id;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return remoteAddress;
  }

  @Override
  public X509Certificate clientCertificate() {
    return clientCertificate;
  }

  @Override
  public String target() {
    return target;
  }

  @Override
  public String subprotocol() {
    return subprotocol;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public Object attribute(String name) {
    return attributes.get(Objects.requireNonNull(name, "name"));
  }

  @Override
  public void setAttribute(String name, Object value) {
    Objects.requireNonNull(name, "name");
    if (value == null) {
      attributes.remove(name);
    } else {
      attributes.put(name, value);
    }
  }

  @Override
  public boolean sendToClient(Message message) {
    return send(Direction.UPSTREAM_TO_CLIENT, message);
  }

  @Override
  public boolean sendToUpstream(Message message) {
    return send(Direction.CLIENT_TO_UPSTREAM, message);
  }

  private boolean send(Direction direction, Message message) {
    Objects.requireNonNull(message, "message");
    if (!open) {
      return false;
    }
    int bytes = message.isText() ? message.text().length() : message.data().remaining();
    if (queuedBytes.addAndGet(bytes) > maxQueuedBytes) {
      queuedBytes.addAndGet(-bytes);
      return false;
    }
    control.execute(() -> control.inject(direction, message, bytes));
    return true;
  }

  @Override
  public void close(int code, String reason) {
    if (!WebSocketProtocol.isValidCloseCode(code)) {
      throw new IllegalArgumentException("close code " + code + " cannot be sent in a close frame");
    }
    Objects.requireNonNull(reason, "reason");
    control.execute(() -> control.close(code, reason));
  }

  @Override
  public String toString() {
    return "ProxyConnection{id=" + id + ", client=" + remoteAddress + ", target=" + target + "}";
  }
}
