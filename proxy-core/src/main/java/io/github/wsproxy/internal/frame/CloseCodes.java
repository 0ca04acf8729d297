package io.github.wsproxy.internal.frame;

/** WebSocket close status codes the proxy uses or checks (RFC 6455 §7.4 and the IANA registry). */
public final class CloseCodes {
  public static final int NORMAL = 1000;
  public static final int GOING_AWAY = 1001;
  public static final int PROTOCOL_ERROR = 1002;
  public static final int INVALID_PAYLOAD = 1007;
  public static final int MESSAGE_TOO_BIG = 1009;
  public static final int INTERNAL_ERROR = 1011;
  /** Not a wire code: a close frame that carried no status code. */
  public static final int NO_CODE = 1005;
  /** Not a wire code: the connection ended without a close frame. */
  public static final int ABNORMAL = 1006;

  private CloseCodes() {}

  /** Whether a peer may send this code in a close frame. 1005, 1006 and 1015 never appear on the wire. */
  public static boolean isValidOnWire(int code) {
    if (code >= 3000 && code <= 4999) {
      return true;
    }
    return code >= 1000 && code <= 1014 && code != 1004 && code != NO_CODE && code != ABNORMAL;
  }
}
