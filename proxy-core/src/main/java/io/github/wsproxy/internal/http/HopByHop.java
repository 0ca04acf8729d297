package io.github.wsproxy.internal.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The hop-by-hop header fields of HTTP/1.1, which describe one connection and never cross the proxy
 * (RFC 9110 §7.6.1): {@code Connection} and every field it names, {@code Keep-Alive}, {@code TE},
 * {@code Trailer}, {@code Transfer-Encoding}, {@code Upgrade} and any {@code Proxy-*} field. Each leg
 * gets its own, written by the proxy (framing, {@code Connection}, the upgrade's fields).
 */
public final class HopByHop {
  private static final Set<String> FIELDS = Set.of(
      "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade");

  private HopByHop() {}

  /**
   * Whether a field is hop-by-hop.
   *
   * @param lowerCaseName the field name, lower-cased
   * @param connectionOptions the message's {@link HttpHead#tokens tokens("connection")}
   */
  public static boolean isHopByHop(String lowerCaseName, List<String> connectionOptions) {
    return FIELDS.contains(lowerCaseName) || lowerCaseName.startsWith("proxy-")
        || connectionOptions.contains(lowerCaseName);
  }

  /**
   * The end-to-end fields among {@code fields}, in order: without hop-by-hop ones and without those
   * in {@code alsoDropped} (lower-cased names the caller writes itself, such as {@code host}).
   *
   * @param connectionOptions the message's {@link HttpHead#tokens tokens("connection")}
   */
  public static List<HttpHead.Field> endToEnd(List<HttpHead.Field> fields, List<String> connectionOptions,
      Set<String> alsoDropped) {
    List<HttpHead.Field> kept = new ArrayList<>(fields.size());
    for (HttpHead.Field field : fields) {
      String name = field.name().toLowerCase(Locale.ROOT);
      if (!isHopByHop(name, connectionOptions) && !alsoDropped.contains(name)) {
        kept.add(field);
      }
    }
    return kept;
  }
}
