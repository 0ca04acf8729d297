package io.github.wsproxy.examples.interceptors;

import io.github.wsproxy.CloseInfo;
import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.ProxyConnection;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every message in both directions and counts messages and characters of text over all
 * connections; logs a connection's figures when it closes. A message-inspecting interceptor whose
 * cost is the proxy's decoding, not its own work.
 */
public class MessageStats extends Interceptor {
  private static final Logger log = LoggerFactory.getLogger(MessageStats.class);

  private final LongAdder messages = new LongAdder();
  private final LongAdder textChars = new LongAdder();

  @Override
  public Message onClientMessage(ProxyConnection connection, Message message) {
    count(message);
    return message;
  }

  @Override
  public Message onUpstreamMessage(ProxyConnection connection, Message message) {
    count(message);
    return message;
  }

  @Override
  public void onClose(ProxyConnection connection, CloseInfo info) {
    log.debug("conn={} closed by {}: {} messages up, {} down", connection.id(), info.closedBy(),
        info.messagesFromClient(), info.messagesFromUpstream());
  }

  /** Messages seen so far, both directions, all connections. */
  public long messages() {
    return messages.sum();
  }

  /** Characters of text seen so far. */
  public long textChars() {
    return textChars.sum();
  }

  private void count(Message message) {
    messages.increment();
    if (message.isText()) {
      textChars.add(message.text().length());
    }
  }
}
