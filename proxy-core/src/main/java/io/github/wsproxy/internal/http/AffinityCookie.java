package io.github.wsproxy.internal.http;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The proxy-inserted cookie that pins a client to one upstream server (as HAProxy's {@code cookie
 * SRV insert}): its value names the server by an opaque id, a keyed hash (HMAC-SHA256, 96 bits,
 * base64url) of the server's address, so it reveals nothing about the address, cannot be forged
 * for a server without the secret, and agrees between proxies configured with the same secret (a
 * per-process random secret otherwise). The {@code Set-Cookie} line is {@code HttpOnly}, {@code
 * SameSite=Lax}, {@code Path=/}, {@code Secure} on a TLS listener, with an optional {@code Max-Age}.
 *
 * <p>Immutable and thread-safe; ids are meant to be computed once per server, not per request.
 */
public final class AffinityCookie {
  private static final int ID_BYTES = 12;

  private final String name;
  private final SecretKeySpec key;
  private final long maxAgeSeconds;
  private final boolean secure;

  /**
   * @param name the cookie's name, an HTTP token
   * @param secret the key of the ids' hash (see {@link #randomSecret()})
   * @param maxAgeSeconds the cookie's lifetime; 0 for a session cookie
   * @param secure clients connect with TLS: the cookie is sent over HTTPS only
   */
  public AffinityCookie(String name, byte[] secret, long maxAgeSeconds, boolean secure) {
    if (!HttpHead.isToken(name)) {
      throw new IllegalArgumentException("cookie name must be an HTTP token: " + name);
    }
    if (secret.length == 0) {
      throw new IllegalArgumentException("empty cookie secret");
    }
    if (maxAgeSeconds < 0) {
      throw new IllegalArgumentException("negative Max-Age: " + maxAgeSeconds);
    }
    this.name = name;
    this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    this.maxAgeSeconds = maxAgeSeconds;
    this.secure = secure;
  }

  /** A fresh random secret, for a proxy whose ids need not agree with any other proxy's. */
  public static byte[] randomSecret() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return secret;
  }

  /** The opaque id of a server, e.g. of {@code "10.0.0.7:8080"}: 16 base64url characters. */
  public String serverId(String serverAddress) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] digest = mac.doFinal(serverAddress.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, ID_BYTES));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every JDK", e);
    }
  }

  /** The {@code Set-Cookie} field line (without CRLF) naming a server by its id. */
  public String setCookie(String serverId) {
    StringBuilder line = new StringBuilder(96).append("Set-Cookie: ").append(name).append('=').append(serverId)
        .append("; Path=/");
    if (maxAgeSeconds > 0) {
      line.append("; Max-Age=").append(maxAgeSeconds);
    }
    line.append("; HttpOnly; SameSite=Lax");
    if (secure) {
      line.append("; Secure");
    }
    return line.toString();
  }

  /**
   * The value of this cookie in a request's {@code Cookie} fields (RFC 6265 §4.2, several fields
   * tolerated, a quoted value unquoted), or null when the request does not carry it. The value is
   * untrusted: compare it with known ids.
   */
  public String find(HttpHead request) {
    for (HttpHead.Field field : request.fields()) {
      if (!field.name().equalsIgnoreCase("cookie")) {
        continue;
      }
      for (String pair : field.value().split(";")) {
        int eq = pair.indexOf('=');
        if (eq > 0 && pair.substring(0, eq).strip().equals(name)) {
          String value = pair.substring(eq + 1).strip();
          boolean quoted = value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"");
          return quoted ? value.substring(1, value.length() - 1) : value;
        }
      }
    }
    return null;
  }
}
