package io.github.wsproxy.examples.interceptors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.ProxyConnection;

/**
 * Renames a top-level field of JSON messages: {@code clientName} in what clients send becomes
 * {@code upstreamName} for the upstream, and back again in what the upstream sends. Lets an old
 * client talk to a new server. Text that is not a JSON object passes unchanged.
 */
public class JsonFieldRenamer extends Interceptor {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String clientName;
  private final String upstreamName;

  public JsonFieldRenamer(String clientName, String upstreamName) {
    this.clientName = clientName;
    this.upstreamName = upstreamName;
  }

  @Override
  public Message onClientMessage(ProxyConnection connection, Message message) {
    return rename(message, clientName, upstreamName);
  }

  @Override
  public Message onUpstreamMessage(ProxyConnection connection, Message message) {
    return rename(message, upstreamName, clientName);
  }

  private static Message rename(Message message, String from, String to) {
    if (!message.isText()) {
      return message;
    }
    try {
      JsonNode node = JSON.readTree(message.text());
      if (!(node instanceof ObjectNode object) || !object.has(from)) {
        return message;
      }
      object.set(to, object.remove(from));
      return Message.text(JSON.writeValueAsString(object));
    } catch (JsonProcessingException e) {
      return message;
    }
  }
}
