package io.github.wsproxy.internal.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A parsed HTTP/1.1 request or response head: the three parts of the start line and the header
 * fields in order, duplicates kept. Parsing is strict (RFC 9112): anything ambiguous is rejected
 * with {@link MalformedHttpException} rather than guessed at.
 */
public final class HttpHead {

  /** One header field as received. */
  public record Field(String name, String value) {}

  private final String first;
  private final String second;
  private final String third;
  private final List<Field> fields;

  private HttpHead(String first, String second, String third, List<Field> fields) {
    this.first = first;
    this.second = second;
    this.third = third;
    this.fields = Collections.unmodifiableList(fields);
  }

  /**
   * Parses {@code bytes[0, length)}, a head that ends with CRLF CRLF (the terminator included).
   *
   * @throws MalformedHttpException when the start line or a header field is malformed
   */
  public static HttpHead parse(byte[] bytes, int length, boolean response) throws MalformedHttpException {
    String text = new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    List<String> lines = lines(text, text.length() - 4);
    String start = lines.get(0);
    int sp1 = start.indexOf(' ');
    int sp2 = sp1 < 0 ? -1 : start.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 < 0 || (!response && start.indexOf(' ', sp2 + 1) >= 0)) {
      throw new MalformedHttpException("malformed start line");
    }
    String a = start.substring(0, sp1);
    String b = start.substring(sp1 + 1, sp2);
    String c = start.substring(sp2 + 1);
    if (response ? !a.startsWith("HTTP/1.") || !isStatusCode(b) : !isToken(a) || b.isEmpty()) {
      throw new MalformedHttpException("malformed start line");
    }
    if (response ? !isVisible(a) || !isFieldValue(c) : !isVisible(b) || !isVisible(c)) {
      // A control character (a lone CR or LF among them) could end the line early at the next hop.
      throw new MalformedHttpException("invalid characters in start line");
    }
    List<Field> fields = new ArrayList<>(lines.size());
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i);
      int colon = line.indexOf(':');
      if (colon <= 0 || !isToken(line.substring(0, colon))) {
        throw new MalformedHttpException("malformed header line " + i);
      }
      // Checked before stripping: strip() would also remove control characters such as 0x1F.
      String value = line.substring(colon + 1);
      if (!isFieldValue(value)) {
        throw new MalformedHttpException("invalid characters in header " + line.substring(0, colon));
      }
      value = value.strip();
      fields.add(new Field(line.substring(0, colon), value));
    }
    return new HttpHead(a, b, c, fields);
  }

  /** The CRLF-separated lines of {@code text[0, end)} (a bare CR or LF stays inside its line). */
  private static List<String> lines(String text, int end) {
    List<String> lines = new ArrayList<>(16);
    int from = 0;
    for (int crlf = text.indexOf("\r\n"); crlf >= 0 && crlf < end; crlf = text.indexOf("\r\n", from)) {
      lines.add(text.substring(from, crlf));
      from = crlf + 2;
    }
    lines.add(text.substring(from, end));
    return lines;
  }

  private static boolean isStatusCode(String s) {
    return s.length() == 3 && s.charAt(0) >= '1' && s.charAt(0) <= '5'
        && s.charAt(1) >= '0' && s.charAt(1) <= '9' && s.charAt(2) >= '0' && s.charAt(2) <= '9';
  }

  /** Request method, or the HTTP version of a response. */
  public String first() {
    return first;
  }

  /** Request target, or the status code of a response. */
  public String second() {
    return second;
  }

  /** HTTP version of a request, or the reason phrase of a response. */
  public String third() {
    return third;
  }

  public List<Field> fields() {
    return fields;
  }

  /** The first value of a header (case-insensitive name), or null. */
  public String value(String name) {
    for (Field field : fields) {
      if (field.name().equalsIgnoreCase(name)) {
        return field.value();
      }
    }
    return null;
  }

  /** How many times a header occurs. */
  public int count(String name) {
    int n = 0;
    for (Field field : fields) {
      if (field.name().equalsIgnoreCase(name)) {
        n++;
      }
    }
    return n;
  }

  /** The comma-separated elements of every occurrence of a header, trimmed and lower-cased. */
  public List<String> tokens(String name) {
    List<String> tokens = elements(name);
    tokens.replaceAll(token -> token.toLowerCase(Locale.ROOT));
    return tokens;
  }

  /** The raw comma-separated elements of every occurrence of a header, trimmed. */
  public List<String> elements(String name) {
    List<String> elements = new ArrayList<>();
    for (Field field : fields) {
      if (field.name().equalsIgnoreCase(name)) {
        for (String element : field.value().split(",")) {
          if (!element.isBlank()) {
            elements.add(element.strip());
          }
        }
      }
    }
    return elements;
  }

  /** Whether {@code s} is an HTTP token (RFC 9110 §5.6.2), e.g. a valid header name. */
  public static boolean isToken(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (!isTokenChar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code ch} may appear in a token (RFC 9110 §5.6.2 tchar). */
  static boolean isTokenChar(int ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
        || (ch < 0x80 && "!#$%&'*+-.^_`|~".indexOf(ch) >= 0);
  }

  /** Visible US-ASCII only (RFC 5234 VCHAR), as in a request target or an HTTP version. */
  static boolean isVisible(String s) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch <= 0x20 || ch >= 0x7F) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code s} is a valid header value: no CR, LF or other control characters but tab. */
  public static boolean isFieldValue(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (!isFieldValueChar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code ch} may appear in a field value: anything but control characters other than tab. */
  static boolean isFieldValueChar(int ch) {
    return ch == '\t' || (ch >= 0x20 && ch != 0x7F);
  }

  /** Whether {@code s} is usable as a request target: visible ASCII only, no spaces. */
  public static boolean isRequestTarget(String s) {
    return !s.isEmpty() && isVisible(s);
  }
}
