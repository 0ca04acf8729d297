package io.github.wsproxy.examples.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.wsproxy.examples.LoopbackServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.java_websocket.WebSocket;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ClientHandshake;

/**
 * The chat server behind the proxy in the browser demo (Java-WebSocket): a client joins with
 * {@code ?room=NAME&name=WHO}; every text message it sends goes to everyone in the same room,
 * sender included, as {@code {"from":"WHO","text":"..."}}; joining and leaving are announced to the
 * room as {@code {"joined":"WHO"}} and {@code {"left":"WHO"}}. A client without a room is closed
 * with 1008. Binary messages are ignored.
 */
public final class ChatUpstream extends LoopbackServer {
  static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, Set<WebSocket>> rooms = new ConcurrentHashMap<>();

  private ChatUpstream(InetSocketAddress address) {
    super(address);
  }

  /** Starts a chat server on {@code address} (port 0 for any) and returns once it listens. */
  public static ChatUpstream start(InetSocketAddress address) throws InterruptedException {
    ChatUpstream server = new ChatUpstream(address);
    server.listen();
    return server;
  }

  /** Who a connection is and where it sits. */
  private record Member(String room, String name) {}

  @Override
  public void onOpen(WebSocket conn, ClientHandshake handshake) {
    Map<String, String> query = query(URI.create(handshake.getResourceDescriptor()).getRawQuery());
    String room = query.get("room");
    if (room == null || room.isBlank()) {
      conn.close(CloseFrame.POLICY_VALIDATION, "join a room: ?room=NAME");
      return;
    }
    String name = query.getOrDefault("name", "").isBlank() ? "anonymous" : query.get("name");
    Member member = new Member(room, name);
    conn.setAttachment(member);
    rooms.computeIfAbsent(room, r -> ConcurrentHashMap.newKeySet()).add(conn);
    broadcast(room, event("joined", name));
  }

  @Override
  public void onMessage(WebSocket conn, String message) {
    Member member = conn.getAttachment();
    if (member != null) {
      broadcast(member.room(), event("from", member.name()).put("text", message));
    }
  }

  @Override
  public void onMessage(WebSocket conn, ByteBuffer message) {
    // a chat of text only
  }

  @Override
  public void onClose(WebSocket conn, int code, String reason, boolean remote) {
    Member member = conn.getAttachment();
    if (member != null) {
      rooms.get(member.room()).remove(conn);
      broadcast(member.room(), event("left", member.name()));
    }
  }

  private void broadcast(String room, ObjectNode event) {
    String text = event.toString();
    for (WebSocket member : rooms.getOrDefault(room, Set.of())) {
      if (member.isOpen()) {
        member.send(text);
      }
    }
  }

  private static ObjectNode event(String field, String value) {
    return JSON.createObjectNode().put(field, value);
  }

  private static Map<String, String> query(String rawQuery) {
    Map<String, String> parameters = new HashMap<>();
    if (rawQuery != null) {
      for (String pair : rawQuery.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          parameters.putIfAbsent(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
        }
      }
    }
    return parameters;
  }

  private static String decode(String part) {
    return URLDecoder.decode(part, StandardCharsets.UTF_8);
  }
}
