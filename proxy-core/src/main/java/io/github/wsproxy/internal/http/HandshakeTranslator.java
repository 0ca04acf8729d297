package io.github.wsproxy.internal.http;

import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.limits.AddressRange;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Turns a client's upgrade request into the upstream's, and the upstream's answer into the
 * client's: hop-by-hop headers dropped, keys per leg, forwarding headers added, subprotocol and
 * permessage-deflate negotiated end to end. One instance per connection, used by its event loop.
 */
public final class HandshakeTranslator {

  /**
   * Fields besides the {@link HopByHop hop-by-hop} ones that never cross from one leg to the other:
   * the proxy writes them per leg (the handshake's keys and extensions, the length, forwarding).
   */
  private static final Set<String> PER_LEG = Stream.concat(Forwarding.REWRITTEN.stream(),
          Stream.of("content-length", "sec-websocket-key", "sec-websocket-version", "sec-websocket-accept",
              "sec-websocket-extensions"))
      .collect(Collectors.toUnmodifiableSet());

  private final ProxySettings config;
  private final HttpHead client;
  private final boolean offerDeflate;
  private final Forwarding forwarding;
  private final String upstreamKey = WebSocketKeys.newKey();
  private List<String> offeredProtocols = List.of();
  private String offeredDeflate;
  private boolean compressionNegotiated;
  private String chosenProtocol;

  /**
   * @param offerDeflate whether the client's permessage-deflate offer may go upstream (not when the
   *     proxy decodes frames for interceptors)
   * @param trustedProxies {@code config}'s trusted proxies, parsed once for every connection
   */
  public HandshakeTranslator(ProxySettings config, HttpHead clientRequest, boolean offerDeflate, List<AddressRange> trustedProxies) {
    this.config = config;
    this.client = clientRequest;
    this.offerDeflate = offerDeflate && config.permessageDeflate();
    this.forwarding = new Forwarding(config.preserveHost(), config.listenTls() != null, trustedProxies);
  }

  /** Checks the client's request; null when it is a WebSocket upgrade the proxy can relay. */
  public Rejection check() {
    if (!client.third().startsWith("HTTP/1.")) {
      return Rejection.of(400, "not an HTTP/1.x request");
    }
    if (!client.second().startsWith("/")) {
      return Rejection.of(400, "request target must be an absolute path");
    }
    boolean upgrade = client.tokens("upgrade").contains("websocket");
    if (!upgrade) {
      return Rejection.of(config.nonUpgradeStatus(), "this endpoint only serves WebSocket upgrades",
          "Upgrade: websocket");
    }
    if (!client.first().equals("GET")) {
      return Rejection.of(405, "WebSocket upgrades use GET", "Allow: GET");
    }
    if (!client.third().equals("HTTP/1.1")) {
      return Rejection.of(400, "WebSocket upgrades need HTTP/1.1");
    }
    if (client.count("host") != 1) {
      return Rejection.of(400, "exactly one Host header is required");
    }
    if (!client.tokens("connection").contains("upgrade")) {
      return Rejection.of(400, "Connection header must contain Upgrade");
    }
    if (client.count("sec-websocket-key") != 1 || !WebSocketKeys.isValidKey(client.value("sec-websocket-key"))) {
      return Rejection.of(400, "Sec-WebSocket-Key must be the base64 of 16 bytes");
    }
    if (!"13".equals(client.value("sec-websocket-version"))) {
      return Rejection.of(426, "only WebSocket version 13 is supported", "Sec-WebSocket-Version: 13");
    }
    String origin = client.value("origin");
    if (origin != null && !config.allowedOrigins().isEmpty()
        && config.allowedOrigins().stream().noneMatch(origin::equalsIgnoreCase)) {
      return Rejection.of(403, "origin " + origin + " is not allowed");
    }
    return null;
  }

  /** The client's headers that go upstream: all but hop-by-hop, per-leg and forwarding ones. */
  public List<HttpHead.Field> forwardedFields() {
    return HopByHop.endToEnd(client.fields(), client.tokens("connection"), PER_LEG);
  }

  /**
   * The request head to send upstream.
   *
   * @param upstream the upstream server chosen for this try
   * @param target the request target (path and query) before the upstream's path prefix
   * @param fields the headers to forward (see {@link #forwardedFields()})
   */
  public byte[] upstreamRequest(URI upstream, InetSocketAddress clientAddress, String target, List<HttpHead.Field> fields) {
    StringBuilder out = new StringBuilder(512)
        .append("GET ").append(Forwarding.upstreamTarget(UpstreamUrls.pathPrefix(upstream), target)).append(" HTTP/1.1\r\n");
    forwarding.appendHost(out, client, upstream);
    out.append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
        .append("Sec-WebSocket-Key: ").append(upstreamKey).append("\r\n")
        .append("Sec-WebSocket-Version: 13\r\n");
    for (HttpHead.Field field : fields) {
      out.append(field.name()).append(": ").append(field.value()).append("\r\n");
    }
    offeredProtocols = client.elements("sec-websocket-protocol");
    if (offerDeflate) {
      offeredDeflate = deflateOffer();
      if (offeredDeflate != null) {
        out.append("Sec-WebSocket-Extensions: ").append(offeredDeflate).append("\r\n");
      }
    }
    forwarding.appendForwardedFields(out, client, clientAddress);
    out.append("\r\n");
    return out.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Checks the upstream's 101 and returns the 101 to send the client.
   *
   * @throws BadUpstreamException when the upstream's answer does not complete a valid handshake
   */
  public byte[] clientSwitchingProtocols(HttpHead answer) throws BadUpstreamException {
    if (!answer.tokens("upgrade").contains("websocket") || !answer.tokens("connection").contains("upgrade")) {
      throw new BadUpstreamException("upstream 101 lacks Upgrade: websocket / Connection: Upgrade");
    }
    if (!WebSocketKeys.accept(upstreamKey).equals(answer.value("sec-websocket-accept"))) {
      throw new BadUpstreamException("upstream Sec-WebSocket-Accept does not match the key");
    }
    List<String> protocols = answer.elements("sec-websocket-protocol");
    if (protocols.size() > 1 || (protocols.size() == 1 && !offeredProtocols.contains(protocols.get(0)))) {
      throw new BadUpstreamException("upstream chose a subprotocol the client did not offer: " + protocols);
    }
    chosenProtocol = protocols.isEmpty() ? null : protocols.get(0);
    List<String> extensions = answer.elements("sec-websocket-extensions");
    if (!extensions.isEmpty()) {
      if (offeredDeflate == null || extensions.size() != 1 || !isDeflate(extensions.get(0))) {
        throw new BadUpstreamException("upstream answered with extensions that were not offered: " + extensions);
      }
      compressionNegotiated = true;
    }
    StringBuilder out = new StringBuilder(256)
        .append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
        .append("Sec-WebSocket-Accept: ").append(WebSocketKeys.accept(client.value("sec-websocket-key"))).append("\r\n");
    if (compressionNegotiated) {
      out.append("Sec-WebSocket-Extensions: ").append(extensions.get(0)).append("\r\n");
    }
    appendForwardableFields(answer, out);
    return out.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** The subprotocol the upstream chose, or null. */
  public String chosenProtocol() {
    return chosenProtocol;
  }

  /** Whether permessage-deflate was negotiated: RSV1 is then legal on data frames. */
  public boolean compressionNegotiated() {
    return compressionNegotiated;
  }

  /** The head of a non-101 upstream answer, rewritten to close the connection after its body. */
  public static byte[] relayedErrorHead(HttpHead answer) {
    StringBuilder out = new StringBuilder(256)
        .append("HTTP/1.1 ").append(answer.second()).append(' ').append(answer.third()).append("\r\n");
    appendForwardableFields(answer, out);
    for (HttpHead.Field field : answer.fields()) {
      String name = field.name().toLowerCase(Locale.ROOT);
      if (name.equals("content-length") || name.equals("transfer-encoding")) {
        out.append(field.name()).append(": ").append(field.value()).append("\r\n");
      }
    }
    return out.append("Connection: close\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static void appendForwardableFields(HttpHead answer, StringBuilder out) {
    for (HttpHead.Field field : HopByHop.endToEnd(answer.fields(), answer.tokens("connection"), PER_LEG)) {
      out.append(field.name()).append(": ").append(field.value()).append("\r\n");
    }
  }

  private String deflateOffer() {
    StringBuilder offer = new StringBuilder();
    for (String element : client.elements("sec-websocket-extensions")) {
      if (isDeflate(element)) {
        offer.append(offer.length() == 0 ? "" : ", ").append(element);
      }
    }
    return offer.length() == 0 ? null : offer.toString();
  }

  private static boolean isDeflate(String extension) {
    int semicolon = extension.indexOf(';');
    String name = semicolon < 0 ? extension : extension.substring(0, semicolon);
    return name.strip().equalsIgnoreCase("permessage-deflate");
  }
}
