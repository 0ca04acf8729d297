package io.github.wsproxy.internal.relay;

import io.github.wsproxy.WsProxy;
import io.github.wsproxy.internal.http.HttpHead;
import io.github.wsproxy.internal.http.WebSocketKeys;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns a client's upgrade request into the upstream's, and the upstream's answer into the
 * client's: hop-by-hop headers dropped, keys per leg, forwarding headers added, subprotocol and
 * permessage-deflate negotiated end to end.
 */
final class HandshakeTranslator {

  /** Headers never copied from one leg to the other (RFC 9110 §7.6.1 plus per-leg WebSocket fields). */
  private static final Set<String> NOT_FORWARDED = Set.of(
      "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
      "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
      "sec-websocket-key", "sec-websocket-version", "sec-websocket-accept", "sec-websocket-extensions",
      "x-forwarded-proto", "x-forwarded-host", "x-forwarded-for");

  private final WsProxy config;
  private final HttpHead client;
  private final String upstreamKey = WebSocketKeys.newKey();
  private List<String> offeredProtocols = List.of();
  private String offeredDeflate;
  private boolean compressionNegotiated;

  HandshakeTranslator(WsProxy config, HttpHead clientRequest) {
    this.config = config;
    this.client = clientRequest;
  }

  /** Checks the client's request; null when it is a WebSocket upgrade the proxy can relay. */
  Rejection check() {
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
    if (!client.second().startsWith("/")) {
      return Rejection.of(400, "request target must be an absolute path");
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
    return null;
  }

  /** The request head to send upstream. */
  byte[] upstreamRequest(InetSocketAddress clientAddress) {
    URI upstream = config.upstream();
    StringBuilder out = new StringBuilder(512)
        .append("GET ").append(upstreamTarget(upstream.getRawPath(), client.second())).append(" HTTP/1.1\r\n")
        .append("Host: ").append(config.preserveHost() ? client.value("host") : authority(upstream)).append("\r\n")
        .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
        .append("Sec-WebSocket-Key: ").append(upstreamKey).append("\r\n")
        .append("Sec-WebSocket-Version: 13\r\n");
    List<String> connectionOptions = client.tokens("connection");
    for (HttpHead.Field field : client.fields()) {
      String name = field.name().toLowerCase(Locale.ROOT);
      if (!NOT_FORWARDED.contains(name) && !connectionOptions.contains(name)) {
        out.append(field.name()).append(": ").append(field.value()).append("\r\n");
      }
    }
    offeredProtocols = client.elements("sec-websocket-protocol");
    if (config.permessageDeflate()) {
      offeredDeflate = deflateOffer();
      if (offeredDeflate != null) {
        out.append("Sec-WebSocket-Extensions: ").append(offeredDeflate).append("\r\n");
      }
    }
    String priorForwarded = client.value("x-forwarded-for");
    String clientIp = clientAddress.getAddress().getHostAddress();
    out.append("X-Forwarded-For: ")
        .append(priorForwarded == null ? clientIp : String.join(", ", client.elements("x-forwarded-for")) + ", " + clientIp)
        .append("\r\n")
        .append(config.listenTls() != null ? "X-Forwarded-Proto: https\r\n" : "X-Forwarded-Proto: http\r\n")
        .append("X-Forwarded-Host: ").append(client.value("host")).append("\r\n\r\n");
    return out.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Checks the upstream's 101 and returns the 101 to send the client.
   *
   * @throws BadUpstreamException when the upstream's answer does not complete a valid handshake
   */
  byte[] clientSwitchingProtocols(HttpHead answer) throws BadUpstreamException {
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

  /** Whether permessage-deflate was negotiated: RSV1 is then legal on data frames. */
  boolean compressionNegotiated() {
    return compressionNegotiated;
  }

  /** The head of a non-101 upstream answer, rewritten to close the connection after its body. */
  static byte[] relayedErrorHead(HttpHead answer) {
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
    List<String> connectionOptions = answer.tokens("connection");
    for (HttpHead.Field field : answer.fields()) {
      String name = field.name().toLowerCase(Locale.ROOT);
      if (!NOT_FORWARDED.contains(name) && !connectionOptions.contains(name)) {
        out.append(field.name()).append(": ").append(field.value()).append("\r\n");
      }
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

  static String upstreamTarget(String prefix, String target) {
    if (prefix == null || prefix.isEmpty() || prefix.equals("/")) {
      return target;
    }
    return prefix.endsWith("/") ? prefix + target.substring(1) : prefix + target;
  }

  private static String authority(URI upstream) {
    int port = upstream.getPort();
    String host = upstream.getHost();
    int defaultPort = "wss".equalsIgnoreCase(upstream.getScheme()) ? 443 : 80;
    return port < 0 || port == defaultPort ? host : host + ":" + port;
  }
}
