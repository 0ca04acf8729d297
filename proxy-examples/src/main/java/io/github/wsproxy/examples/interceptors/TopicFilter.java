package io.github.wsproxy.examples.interceptors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.ProxyConnection;
import java.util.HashSet;
import java.util.Set;

/**
 * The upstream broadcasts every topic to everyone; each client receives only the topics it
 * subscribed to. A client subscribes with {@code {"subscribe":"sports"}} and unsubscribes with
 * {@code {"unsubscribe":"sports"}}; the proxy answers those itself and does not pass them on. The
 * upstream's messages carry their topic as {@code {"topic":"sports", ...}}; messages without a topic
 * go to everyone.
 */
public class TopicFilter extends Interceptor {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOPICS = TopicFilter.class.getName() + ".topics";

  @Override
  public void onOpen(ProxyConnection connection) {
    connection.setAttribute(TOPICS, new HashSet<String>());
  }

  @Override
  public Message onClientMessage(ProxyConnection connection, Message message) {
    JsonNode command = parse(message);
    if (command == null || !(command.has("subscribe") || command.has("unsubscribe"))) {
      return message;
    }
    Set<String> topics = topics(connection);
    if (command.has("subscribe")) {
      topics.add(command.get("subscribe").asText());
    } else {
      topics.remove(command.get("unsubscribe").asText());
    }
    connection.sendToClient(Message.text("{\"subscribed\":" + toJson(topics) + "}"));
    return null;
  }

  @Override
  public Message onUpstreamMessage(ProxyConnection connection, Message message) {
    JsonNode event = parse(message);
    if (event == null || !event.has("topic")) {
      return message;
    }
    return topics(connection).contains(event.get("topic").asText()) ? message : null;
  }

  @SuppressWarnings("unchecked")
  private static Set<String> topics(ProxyConnection connection) {
    return (Set<String>) connection.attribute(TOPICS);
  }

  private static JsonNode parse(Message message) {
    if (!message.isText()) {
      return null;
    }
    try {
      return JSON.readTree(message.text());
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  private static String toJson(Set<String> topics) {
    try {
      return JSON.writeValueAsString(topics.stream().sorted().toList());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
