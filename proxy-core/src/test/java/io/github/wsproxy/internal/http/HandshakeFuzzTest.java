package io.github.wsproxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.internal.config.ProxySettings;
import io.github.wsproxy.internal.config.SettingsBuilder;
import io.github.wsproxy.internal.limits.AddressRange;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzz test of the handshake parser: {@link HeadReader} fed an arbitrary head in
 * arbitrary reads (the way {@code ClientHandshake} feeds it: the size limit checked after every read),
 * {@link HttpHead#parse}, the request checks of {@link HandshakeTranslator#check()} and the heads
 * the proxy derives from what it parsed. Nothing may throw but {@link MalformedHttpException}, the
 * verdict must not depend on how the bytes were cut, and no parsed value may carry a character
 * that would let a peer inject a line into a head the proxy sends.
 *
 * <p>Input layout: byte 0 holds the flags (bit 0: a response head, otherwise a request; bits 1-2:
 * the size limit; bit 3: {@code preserveHost}), byte 1 the number of cuts (low 4 bits), then one
 * byte per cut, the length of that read; the rest is the head, whose last read takes what remains.
 * Regression inputs: {@code src/test/resources/.../HandshakeFuzzTestInputs/head}.
 */
class HandshakeFuzzTest {
  private static final int[] LIMITS = {16 * 1024, 64, 512, 4096};
  private static final ProxySettings PREFIXED = new SettingsBuilder()
      .upstream(UpstreamGroup.of(URI.create("ws://127.0.0.1:9/base"))).build(tls -> tls);
  private static final ProxySettings PRESERVING_HOST = new SettingsBuilder()
      .upstream(UpstreamGroup.of(URI.create("ws://127.0.0.1:9"))).preserveHost(true).permessageDeflate(false)
      .build(tls -> tls);
  private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);

  @FuzzTest(maxDuration = "10s")
  void head(byte[] input) throws MalformedHttpException {
    if (input.length < 2) {
      return;
    }
    int flags = input[0];
    boolean response = (flags & 1) != 0;
    int limit = LIMITS[(flags >> 1) & 3];
    ProxySettings config = (flags & 8) != 0 ? PRESERVING_HOST : PREFIXED;
    int cuts = Math.min(input[1] & 0xF, input.length - 2);
    int[] reads = new int[cuts];
    for (int i = 0; i < cuts; i++) {
      reads[i] = input[2 + i] & 0xFF;
    }
    byte[] bytes = Arrays.copyOfRange(input, 2 + cuts, input.length);

    Verdict whole = read(bytes, new int[0], limit, response);
    Verdict split = read(bytes, reads, limit, response);

    assertThat(split.outcome).as("verdict").isEqualTo(whole.outcome);
    if (whole.head == null) {
      return;
    }
    assertThat(split.head.fields()).as("fields").isEqualTo(whole.head.fields());
    HttpHead head = whole.head;
    assertStrict(head, response);
    String raw = new String(bytes, 0, whole.headLength - 4, StandardCharsets.ISO_8859_1);
    for (String line : raw.split("\r\n", -1)) {
      assertThat(visible(line, true)).as("accepted line %s has no control characters", List.of(line)).isTrue();
    }
    assertThat(reparse(serialize(head), response).fields()).as("fields after a round trip").isEqualTo(head.fields());
    if (response) {
      HttpHead relayed = reparse(HandshakeTranslator.relayedErrorHead(head), true);
      assertThat(relayed.second()).as("relayed status").isEqualTo(head.second());
      return;
    }
    List<AddressRange> trusted = AddressRange.parseAll(config.trustedProxies());
    HandshakeTranslator translator = new HandshakeTranslator(config, head, true, trusted);
    Rejection rejection = translator.check();
    if (rejection != null) {
      assertThat(rejection.status()).as("rejection status").isBetween(400, 499);
      return;
    }
    HttpHead upstream = reparse(translator.upstreamRequest(config.upstream(), CLIENT, head.second(),
        translator.forwardedFields()), false);
    assertStrict(upstream, false);
    assertThat(new HandshakeTranslator(config, upstream, true, trusted).check())
        .as("the request sent upstream passes the proxy's own checks").isNull();
  }

  /** Outcome of reading one head: "incomplete", "431", "400 <message>" or "parsed". */
  private record Verdict(String outcome, HttpHead head, int headLength) {
    Verdict(String outcome) {
      this(outcome, null, -1);
    }
  }

  private static Verdict read(byte[] bytes, int[] reads, int limit, boolean response) {
    HeadReader reader = new HeadReader(limit);
    int offset = 0;
    for (int read = 0; read <= reads.length; read++) {
      int n = read < reads.length ? Math.min(reads[read], bytes.length - offset) : bytes.length - offset;
      reader.append(ByteBuffer.wrap(bytes, offset, n));
      offset += n;
      assertThat(reader.length()).as("bytes held").isEqualTo(offset);
      if (reader.overLimit()) {
        return new Verdict("431");
      }
      if (reader.complete()) {
        try {
          return new Verdict("parsed", reader.parse(response), reader.length() - reader.remainder().length);
        } catch (MalformedHttpException e) {
          return new Verdict("400 " + e.getMessage());
        }
      }
    }
    return new Verdict("incomplete");
  }

  /**
   * RFC 9112: the start line has no control characters (a reason phrase may have tabs), names are
   * tokens, values have no control characters but tabs. In particular no CR or LF anywhere.
   */
  private static void assertStrict(HttpHead head, boolean response) {
    assertThat(visible(head.first(), false)).as("start line part 1 %s", List.of(head.first())).isTrue();
    assertThat(visible(head.second(), false)).as("start line part 2 %s", List.of(head.second())).isTrue();
    assertThat(visible(head.third(), response)).as("start line part 3 %s", List.of(head.third())).isTrue();
    for (HttpHead.Field field : head.fields()) {
      assertThat(visible(field.name(), false) && !field.name().isEmpty()).as("name %s", field).isTrue();
      assertThat(visible(field.value(), true)).as("value %s", field).isTrue();
      assertThat(field.value()).as("value %s has no surrounding whitespace", field)
          .doesNotStartWith(" ").doesNotStartWith("\t").doesNotEndWith(" ").doesNotEndWith("\t");
    }
  }

  /** No control characters (tab and space allowed only in text such as values or reason phrases). */
  private static boolean visible(String s, boolean text) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      boolean ok = text ? ch >= 0x20 && ch != 0x7F || ch == '\t' : ch > 0x20 && ch != 0x7F && ch < 0x80;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static byte[] serialize(HttpHead head) {
    StringBuilder out = new StringBuilder()
        .append(head.first()).append(' ').append(head.second()).append(' ').append(head.third()).append("\r\n");
    for (HttpHead.Field field : head.fields()) {
      out.append(field.name()).append(": ").append(field.value()).append("\r\n");
    }
    return out.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Parses a head the proxy produced: it must be complete, exactly, and well formed. */
  private static HttpHead reparse(byte[] bytes, boolean response) throws MalformedHttpException {
    HeadReader reader = new HeadReader(Integer.MAX_VALUE - 4096);
    assertThat(reader.append(ByteBuffer.wrap(bytes))).as("a complete head").isTrue();
    assertThat(reader.remainder()).as("nothing after the head").isEmpty();
    return reader.parse(response);
  }
}
