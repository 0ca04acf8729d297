package io.github.wsproxy.internal.intercept;

import io.github.wsproxy.Handshake;
import io.github.wsproxy.ProxyConnection;
import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.internal.http.HttpHead;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The {@link Handshake} interceptors see: the client's request, and the request to send upstream
 * as they change it. Guarded by its own lock, since an asynchronous interceptor may touch it from
 * another thread; the connection reads it only after the interceptors' stages completed.
 */
public final class RequestHandshake implements Handshake {
  private static final Set<String> OWNED_BY_PROXY = Set.of(
      "host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
      "sec-websocket-extensions", "sec-websocket-accept", "content-length", "transfer-encoding");

  private final ProxyConnection connection;
  private final HttpHead request;
  private final List<Map.Entry<String, String>> headers;
  private final List<Map.Entry<String, String>> upstreamHeaders;
  private String upstreamTarget;
  private Rejection rejection;
  private UpstreamGroup upstream;

  /** An interceptor's answer to a handshake: an HTTP response. */
  public record Rejection(int status, Map<String, String> headers, String body) {}

  /**
   * @param forwarded the headers the proxy would send upstream by itself (hop-by-hop ones removed)
   */
  public RequestHandshake(ProxyConnection connection, HttpHead request, List<HttpHead.Field> forwarded) {
    this.connection = connection;
    this.request = request;
    List<Map.Entry<String, String>> all = new ArrayList<>(request.fields().size());
    for (HttpHead.Field field : request.fields()) {
      all.add(Map.entry(field.name(), field.value()));
    }
    this.headers = Collections.unmodifiableList(all);
    this.upstreamHeaders = new ArrayList<>(forwarded.size());
    for (HttpHead.Field field : forwarded) {
      upstreamHeaders.add(Map.entry(field.name(), field.value()));
    }
    this.upstreamTarget = request.second();
  }

  @Override
  public ProxyConnection connection() {
    return connection;
  }

  @Override
  public boolean isUpgrade() {
    return request.tokens("upgrade").contains("websocket");
  }

  @Override
  public String method() {
    return request.first();
  }

  @Override
  public String target() {
    return request.second();
  }

  @Override
  public String path() {
    String target = request.second();
    int q = target.indexOf('?');
    return q < 0 ? target : target.substring(0, q);
  }

  @Override
  public String query() {
    String target = request.second();
    int q = target.indexOf('?');
    return q < 0 ? null : target.substring(q + 1);
  }

  @Override
  public String queryParameter(String name) {
    String query = query();
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (decode(key).equals(name)) {
        return eq < 0 ? "" : decode(pair.substring(eq + 1));
      }
    }
    return null;
  }

  @Override
  public List<Map.Entry<String, String>> headers() {
    return headers;
  }

  @Override
  public String header(String name) {
    return request.value(name);
  }

  @Override
  public List<String> subprotocols() {
    return request.elements("sec-websocket-protocol");
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return connection.remoteAddress();
  }

  @Override
  public synchronized Handshake setTarget(String target) {
    if (target == null || !target.startsWith("/") || !HttpHead.isRequestTarget(target)) {
      throw new IllegalArgumentException("target must start with / and hold no spaces or control characters: " + target);
    }
    this.upstreamTarget = target;
    return this;
  }

  @Override
  public synchronized String upstreamTarget() {
    return upstreamTarget;
  }

  @Override
  public synchronized Handshake setHeader(String name, String value) {
    checkHeader(name, value);
    if (OWNED_BY_PROXY.contains(name.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("header " + name + " is set by the proxy for each leg");
    }
    removeHeader(name);
    upstreamHeaders.add(Map.entry(name, value));
    return this;
  }

  @Override
  public synchronized Handshake removeHeader(String name) {
    upstreamHeaders.removeIf(entry -> entry.getKey().equalsIgnoreCase(name));
    return this;
  }

  @Override
  public synchronized List<Map.Entry<String, String>> upstreamHeaders() {
    return List.copyOf(upstreamHeaders);
  }

  @Override
  public synchronized void reject(int status, Map<String, String> responseHeaders, String body) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("reject: status must be 4xx or 5xx, was " + status);
    }
    Map<String, String> copy = new LinkedHashMap<>();
    responseHeaders.forEach((name, value) -> {
      checkHeader(name, value);
      if (OWNED_BY_PROXY.contains(name.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException("reject: header " + name + " is set by the proxy");
      }
      copy.put(name, value);
    });
    this.rejection = new Rejection(status, Collections.unmodifiableMap(copy), body == null ? "" : body);
  }

  @Override
  public synchronized Handshake setUpstream(UpstreamGroup group) {
    this.upstream = Objects.requireNonNull(group, "group");
    return this;
  }

  @Override
  public synchronized UpstreamGroup upstream() {
    return upstream;
  }

  @Override
  public synchronized boolean isRejected() {
    return rejection != null;
  }

  /** The rejection an interceptor chose, or null. */
  public synchronized Rejection rejection() {
    return rejection;
  }

  /** The headers to send upstream, as fields. */
  public synchronized List<HttpHead.Field> upstreamFields() {
    List<HttpHead.Field> fields = new ArrayList<>(upstreamHeaders.size());
    for (Map.Entry<String, String> entry : upstreamHeaders) {
      fields.add(new HttpHead.Field(entry.getKey(), entry.getValue()));
    }
    return fields;
  }

  /**
   * Checks a header set by configuration or an interceptor: the name an HTTP token, the value
   * free of CR, LF and other control characters, so nothing can be injected into a head.
   */
  public static void checkHeader(String name, String value) {
    if (name == null || !HttpHead.isToken(name)) {
      throw new IllegalArgumentException("header name is not an HTTP token: " + name);
    }
    if (value == null || !HttpHead.isFieldValue(value)) {
      throw new IllegalArgumentException("header " + name + " has a null value or CR, LF or control characters");
    }
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }
}
