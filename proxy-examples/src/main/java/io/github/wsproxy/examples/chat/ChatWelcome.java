package io.github.wsproxy.examples.chat;

import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.ProxyConnection;

/**
 * The proxy speaking for itself: when a chat connection opens, the client gets
 * {@code {"proxy":"you are in room lobby, connection 7"}} from the proxy, not from the chat server.
 * Register it after {@link io.github.wsproxy.examples.interceptors.WordFilter}, which admits only
 * clients with a room and records it in the connection's {@code room} attribute.
 */
public class ChatWelcome extends Interceptor {

  @Override
  public void onOpen(ProxyConnection connection) {
    String notice = "you are in room " + connection.attribute("room") + ", connection " + connection.id();
    connection.sendToClient(Message.text(
        ChatUpstream.JSON.createObjectNode().put("proxy", notice).toString()));
  }
}
