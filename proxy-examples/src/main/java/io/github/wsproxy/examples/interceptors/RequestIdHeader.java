package io.github.wsproxy.examples.interceptors;

import io.github.wsproxy.Handshake;
import io.github.wsproxy.Interceptor;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * Gives every connection a request id, sent upstream as {@code X-Request-Id} (a client's own id is
 * kept) and attached as attribute {@value #ATTRIBUTE}. It only looks at handshakes, so the relay of
 * its connections stays raw: frames are not decoded.
 */
public class RequestIdHeader extends Interceptor {
  /** The attribute holding the id. */
  public static final String ATTRIBUTE = "request.id";

  @Override
  public CompletionStage<Void> onHandshake(Handshake handshake) {
    String id = handshake.header("X-Request-Id");
    if (id == null || id.isBlank() || id.length() > 128) {
      id = UUID.randomUUID().toString();
    }
    handshake.setHeader("X-Request-Id", id);
    handshake.connection().setAttribute(ATTRIBUTE, id);
    return PROCEED;
  }
}
