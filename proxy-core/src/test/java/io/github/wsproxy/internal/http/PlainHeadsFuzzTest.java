package io.github.wsproxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.wsproxy.internal.limits.AddressRange;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzz test of a plain exchange's heads: an arbitrary head is parsed, checked and
 * framed ({@link PlainHeads#checkRequest}, {@link BodyFraming}) and, when accepted, rewritten for
 * the next hop ({@link PlainHeads#upstreamRequest}, {@link PlainHeads#clientResponse}). Nothing may
 * throw but {@link MalformedHttpException}; a rewritten head must be one well-formed head that the
 * next hop frames exactly as the proxy did (nothing smuggled past it), with one framing field at most
 * and none of the hop-by-hop fields the proxy did not write itself. The keep-alive decisions and the
 * affinity cookie's parser run on every accepted head.
 *
 * <p>Input layout: byte 0 holds the flags (bit 0: a response head, otherwise a request; bit 1: the
 * request was HEAD, for a response; bit 2: strip chunks; bit 3: keep-alive; bit 4: preserveHost; bit
 * 5: a Via pseudonym; bit 6: the client is a trusted proxy); the rest is the head. Regression inputs:
 * {@code src/test/resources/.../PlainHeadsFuzzTestInputs/exchange}.
 */
class PlainHeadsFuzzTest {
  private static final URI UPSTREAM = URI.create("ws://127.0.0.1:9/base");
  private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
  private static final InetSocketAddress OTHER_CLIENT = new InetSocketAddress("192.0.2.1", 40000);
  private static final List<AddressRange> TRUSTED = List.of(AddressRange.parse("127.0.0.0/8"));
  private static final AffinityCookie COOKIE = new AffinityCookie("srv", new byte[] {1, 2, 3}, 60, true);

  @FuzzTest(maxDuration = "10s")
  void exchange(byte[] input) {
    if (input.length < 1) {
      return;
    }
    int flags = input[0];
    boolean response = (flags & 1) != 0;
    String method = (flags & 2) != 0 ? "HEAD" : "GET";
    boolean strip = (flags & 4) != 0;
    boolean keepAlive = (flags & 8) != 0;
    Forwarding forwarding = new Forwarding((flags & 16) != 0, false, TRUSTED);
    String via = (flags & 32) != 0 ? "wsproxy" : null;
    InetSocketAddress client = (flags & 64) != 0 ? CLIENT : OTHER_CLIENT;
    byte[] bytes = Arrays.copyOfRange(input, 1, input.length);

    HeadReader reader = new HeadReader(16 * 1024);
    if (!reader.append(ByteBuffer.wrap(bytes)) || reader.overLimit()) {
      return;
    }
    HttpHead head;
    BodyFraming framing;
    try {
      head = reader.parse(response);
      if (response) {
        framing = BodyFraming.ofResponse(head, method);
      } else {
        PlainHeads.checkRequest(head);
        framing = BodyFraming.ofRequest(head);
      }
    } catch (MalformedHttpException refused) {
      return; // answered with 400 or 502
    }
    try {
      if (response) {
        HttpHead sent = Heads.reparse(PlainHeads.clientResponse(head, strip, keepAlive, via,
            List.of(COOKIE.setCookie(COOKIE.serverId("127.0.0.1:9")))), true);
        boolean stripped = strip && framing.kind() == BodyFraming.Kind.CHUNKED;
        assertThat(BodyFraming.ofResponse(sent, method)).as("framing at the client")
            .isEqualTo(stripped ? new BodyFraming(BodyFraming.Kind.UNTIL_CLOSE, -1) : framing);
        assertThat(sent.second()).as("status").isEqualTo(head.second());
        assertOnlyOwnHopByHop(sent, keepAlive);
        Persistence.upstreamReusable(!keepAlive, head, framing, true);
      } else {
        HttpHead sent = Heads.reparse(PlainHeads.upstreamRequest(head, head.second(), PlainHeads.forwardedRequestFields(head),
            framing, forwarding, UPSTREAM, client, keepAlive, via), false);
        PlainHeads.checkRequest(sent);
        assertThat(BodyFraming.ofRequest(sent)).as("framing upstream").isEqualTo(framing);
        assertThat(sent.first()).as("method").isEqualTo(head.first());
        assertThat(sent.count("host")).as("one Host").isEqualTo(1);
        assertThat(sent.count("x-forwarded-for")).as("one X-Forwarded-For").isEqualTo(1);
        assertOnlyOwnHopByHop(sent, keepAlive);
        Persistence.clientMayContinue(head, framing);
        COOKIE.find(head);
      }
    } catch (MalformedHttpException e) {
      throw new AssertionError("the proxy refuses a head it wrote itself", e);
    }
  }

  /** Framing fields at most once each; of the other hop-by-hop fields only the proxy's own close. */
  private static void assertOnlyOwnHopByHop(HttpHead sent, boolean keepAlive) {
    assertThat(sent.count("content-length")).as("Content-Length fields").isLessThanOrEqualTo(1);
    assertThat(sent.count("transfer-encoding")).as("Transfer-Encoding fields").isLessThanOrEqualTo(1);
    assertThat(sent.count("content-length") + sent.count("transfer-encoding")).as("framing fields").isLessThanOrEqualTo(1);
    assertThat(sent.count("connection")).as("Connection fields").isEqualTo(keepAlive ? 0 : 1);
    for (HttpHead.Field field : sent.fields()) {
      String name = field.name().toLowerCase(java.util.Locale.ROOT);
      if (!name.equals("transfer-encoding") && !name.equals("connection")) {
        assertThat(HopByHop.isHopByHop(name, List.of())).as("hop-by-hop field %s", field).isFalse();
      }
    }
  }
}
