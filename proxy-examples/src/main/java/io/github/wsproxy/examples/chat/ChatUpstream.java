package io.github.wsproxy.examples.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat server behind the proxy in the browser demo (Java-WebSocket): a client joins with
 * {@code ?room=NAME&name=WHO}; every text message it sends goes to everyone in the same room,
 * sender included, as {@code {"from":"WHO","text":"..."}}; joining and leaving are announced to the
 * room as {@code {"joined":"WHO"}} and {@code {"left":"WHO"}}. A client without a room is closed
 * with 1008. Binary messages are ignored.
 */
public final class ChatUpstream implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChatUpstream.class);
  static final ObjectMapper JSON = new ObjectMapper();

  private final Server server;

  private ChatUpstream(Server server) {
    this.server = server;
  }

  /** Starts a chat server on {@code address} (port 0 for any) and returns once it listens. */
  public static ChatUpstream start(InetSocketAddress address) throws InterruptedException {
    Server server = new Server(address);
    server.setConnectionLostTimeout(0);
    server.setReuseAddr(true);
    server.start();
    if (!server.started.await(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("chat upstream did not start on " + address);
    }
    return new ChatUpstream(server);
  }

  /** The URL to give the proxy as its upstream. */
  public URI uri() {
    return URI.create("ws://127.0.0.1:" + server.getPort());
  }

  @Override
  public void close() throws InterruptedException {
    server.stop(1000);
  }

  /** Who a connection is and where it sits. */
  private record Member(String room, String name) {}

  private static final class Server extends WebSocketServer {
    final CountDownLatch started = new CountDownLatch(1);
    final Map<String, Set<WebSocket>> rooms = new ConcurrentHashMap<>();

    Server(InetSocketAddress address) {
      super(address);
    }

    @Override
    public void onStart() {
      started.countDown();
    }

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
      broadcast(member.room(), json("joined", member.name()));
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
      Member member = conn.getAttachment();
      if (member != null) {
        ObjectNode event = json("from", member.name());
        event.put("text", message);
        broadcast(member.room(), event);
      }
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
      Member member = conn.getAttachment();
      if (member != null) {
        Set<WebSocket> members = rooms.get(member.room());
        members.remove(conn);
        broadcast(member.room(), json("left", member.name()));
      }
    }

    @Override
    public void onError(WebSocket conn, Exception e) {
      log.debug("chat upstream connection error", e);
    }

    private void broadcast(String room, ObjectNode event) {
      String text = event.toString();
      for (WebSocket member : rooms.getOrDefault(room, Set.of())) {
        if (member.isOpen()) {
          member.send(text);
        }
      }
    }

    private static ObjectNode json(String field, String value) {
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
}
