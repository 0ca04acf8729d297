package io.github.wsproxy.examples.interceptors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.ProxyConnection;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.LoggerFactory;

/**
 * Logs every JSON message in both directions with one field redacted (at any depth), e.g. a
 * password or token. Messages pass unchanged; text that is not JSON is logged by its length only.
 */
public class JsonMessageLogger extends Interceptor {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String redactedField;
  private final Consumer<String> sink;

  /** Logs to SLF4J logger {@code io.github.wsproxy.examples.messages} at INFO. */
  public JsonMessageLogger(String redactedField) {
    this(redactedField, LoggerFactory.getLogger("io.github.wsproxy.examples.messages")::info);
  }

  /** Logs each line to {@code sink}. */
  public JsonMessageLogger(String redactedField, Consumer<String> sink) {
    this.redactedField = Objects.requireNonNull(redactedField, "redactedField");
    this.sink = Objects.requireNonNull(sink, "sink");
  }

  @Override
  public Message onClientMessage(ProxyConnection connection, Message message) {
    log(connection, "client->upstream", message);
    return message;
  }

  @Override
  public Message onUpstreamMessage(ProxyConnection connection, Message message) {
    log(connection, "upstream->client", message);
    return message;
  }

  private void log(ProxyConnection connection, String direction, Message message) {
    sink.accept("conn=" + connection.id() + " " + direction + " " + describe(message));
  }

  private String describe(Message message) {
    if (!message.isText()) {
      return "binary " + message.data().remaining() + " bytes";
    }
    try {
      JsonNode node = JSON.readTree(message.text());
      redact(node);
      return node.toString();
    } catch (JsonProcessingException e) {
      return "text " + message.text().length() + " chars (not JSON)";
    }
  }

  private void redact(JsonNode node) {
    if (node instanceof ObjectNode object && object.has(redactedField)) {
      object.put(redactedField, "***");
    }
    node.forEach(this::redact);
  }
}
