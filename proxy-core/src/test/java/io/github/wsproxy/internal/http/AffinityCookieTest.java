package io.github.wsproxy.internal.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The affinity cookie: opaque ids, its Set-Cookie line, and finding it among a request's cookies. */
class AffinityCookieTest {
  private static final byte[] SECRET = "shared secret".getBytes(StandardCharsets.UTF_8);

  @Test
  void idsAreOpaqueStableAndAgreeUnderTheSameSecret() {
    AffinityCookie one = new AffinityCookie("srv", SECRET, 0, false);
    AffinityCookie other = new AffinityCookie("srv", SECRET.clone(), 3600, true);
    String id = one.serverId("10.0.0.7:8080");
    assertThat(id).matches("[A-Za-z0-9_-]{16}").doesNotContain("10.0.0.7");
    assertThat(other.serverId("10.0.0.7:8080")).as("another proxy with the same secret").isEqualTo(id);
    assertThat(one.serverId("10.0.0.8:8080")).isNotEqualTo(id);
    assertThat(new AffinityCookie("srv", "other".getBytes(StandardCharsets.UTF_8), 0, false).serverId("10.0.0.7:8080"))
        .isNotEqualTo(id);
  }

  @Test
  void randomSecretsDiffer() {
    byte[] a = AffinityCookie.randomSecret();
    assertThat(a).hasSize(32).isNotEqualTo(AffinityCookie.randomSecret());
  }

  @Test
  void setCookieLine() {
    assertThat(new AffinityCookie("srv", SECRET, 0, false).setCookie("abc"))
        .isEqualTo("Set-Cookie: srv=abc; Path=/; HttpOnly; SameSite=Lax");
    assertThat(new AffinityCookie("WSPROXY_AFFINITY", SECRET, 86400, true).setCookie("abc"))
        .isEqualTo("Set-Cookie: WSPROXY_AFFINITY=abc; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax; Secure");
  }

  @Test
  void findsItsCookieAmongOthers() throws Exception {
    AffinityCookie cookie = new AffinityCookie("srv", SECRET, 0, false);
    assertThat(cookie.find(Heads.request("GET / HTTP/1.1\nHost: a\nCookie: io=x; srv=abc; theme=dark"))).isEqualTo("abc");
    assertThat(cookie.find(Heads.request("GET / HTTP/1.1\nHost: a\nCookie: io=x\ncookie: srv=\"q\""))).isEqualTo("q");
    assertThat(cookie.find(Heads.request("GET / HTTP/1.1\nHost: a\nCookie: srv=first;srv=second"))).isEqualTo("first");
    assertThat(cookie.find(Heads.request("GET / HTTP/1.1\nHost: a\nCookie: xsrv=abc; SRV=abc; srvx=1; srv"))).isNull();
    assertThat(cookie.find(Heads.request("GET / HTTP/1.1\nHost: a"))).isNull();
    assertThat(cookie.find(Heads.request("GET / HTTP/1.1\nHost: a\nX-Cookie: srv=abc"))).isNull();
  }

  @Test
  void refusesBadSettings() {
    assertThatThrownBy(() -> new AffinityCookie("a b", SECRET, 0, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AffinityCookie("a=b", SECRET, 0, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AffinityCookie("srv", new byte[0], 0, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AffinityCookie("srv", SECRET, -1, false)).isInstanceOf(IllegalArgumentException.class);
  }
}
