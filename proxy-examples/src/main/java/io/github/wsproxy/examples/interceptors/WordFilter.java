package io.github.wsproxy.examples.interceptors;

import io.github.wsproxy.CloseInfo;
import io.github.wsproxy.Handshake;
import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.ProxyConnection;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The README's interceptor: chat rooms only, and no bad words on the way up. */
public class WordFilter extends Interceptor {
  private static final Logger log = LoggerFactory.getLogger(WordFilter.class);
  private final Pattern banned;

  public WordFilter(Set<String> bannedWords) {
    this.banned = Pattern.compile("\\b(" + String.join("|", bannedWords) + ")\\b", Pattern.CASE_INSENSITIVE);
  }

  /** The default word list, for {@code --interceptor io.github.wsproxy.examples.interceptors.WordFilter}. */
  public WordFilter() {
    this(Set.of("darn", "heck"));
  }

  @Override
  public CompletionStage<Void> onHandshake(Handshake handshake) {
    String room = handshake.queryParameter("room");
    if (room == null || room.isBlank()) {
      handshake.reject(400, "join a room: ?room=NAME");
    } else {
      handshake.connection().setAttribute("room", room);
    }
    return PROCEED;
  }

  @Override
  public Message onClientMessage(ProxyConnection connection, Message message) {
    if (!message.isText() || !banned.matcher(message.text()).find()) {
      return message;
    }
    return Message.text(banned.matcher(message.text()).replaceAll("***"));
  }

  @Override
  public void onClose(ProxyConnection connection, CloseInfo info) {
    log.info("left room {} after {} messages", connection.attribute("room"), info.messagesFromClient());
  }
}
