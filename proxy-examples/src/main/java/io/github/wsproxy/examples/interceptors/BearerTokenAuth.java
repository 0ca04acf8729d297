package io.github.wsproxy.examples.interceptors;

import io.github.wsproxy.Handshake;
import io.github.wsproxy.Interceptor;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

/**
 * Lets a handshake through only with a valid bearer token, from the {@code Authorization: Bearer}
 * header or, for browsers (which cannot set headers on a WebSocket), the {@code access_token}
 * query parameter. Anything else gets {@code 401} with a {@code WWW-Authenticate} challenge. The
 * token's subject is attached to the connection as attribute {@value #SUBJECT}.
 */
public class BearerTokenAuth extends Interceptor {
  /** The attribute holding the accepted token. */
  public static final String SUBJECT = "auth.token";

  private final Predicate<String> validTokens;

  /** @param validTokens says whether a token is valid; called on the event loop, so keep it fast */
  public BearerTokenAuth(Predicate<String> validTokens) {
    this.validTokens = Objects.requireNonNull(validTokens, "validTokens");
  }

  @Override
  public CompletionStage<Void> onHandshake(Handshake handshake) {
    String token = token(handshake);
    if (token == null) {
      handshake.reject(401, Map.of("WWW-Authenticate", "Bearer realm=\"wsproxy\""), "a bearer token is required");
    } else if (!validTokens.test(token)) {
      handshake.reject(401, Map.of("WWW-Authenticate", "Bearer realm=\"wsproxy\", error=\"invalid_token\""),
          "the bearer token is not valid");
    } else {
      handshake.connection().setAttribute(SUBJECT, token);
      handshake.removeHeader("Authorization");
    }
    return PROCEED;
  }

  private static String token(Handshake handshake) {
    String authorization = handshake.header("Authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).strip();
    }
    return handshake.queryParameter("access_token");
  }
}
