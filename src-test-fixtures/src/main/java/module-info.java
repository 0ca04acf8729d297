/**
 * WsProxy's test fixtures: WebSocket peers that record what they see, raw peers and a JUnit 5
 * extension, all in the exported package {@code io.github.wsproxy.testing}.
 */
@SuppressWarnings("requires-transitive-automatic")
module io.github.wsproxy.testing {
  requires transitive io.github.wsproxy;
  requires transitive java.net.http;
  requires transitive org.java_websocket;
  requires transitive org.junit.jupiter.api;

  exports io.github.wsproxy.testing;
}
