package io.github.wsproxy.internal.frame;

/**
 * The WebSocket protocol's numbers in one place (RFC 6455 and the IANA close code registry): the
 * bits of a frame header's first byte, the opcodes, and the close codes the proxy sends or checks.
 * {@link FrameHeader} is the only decoder of a frame header and {@link FrameEncoder} its only
 * writer; everything else names frames and codes through these constants.
 */
public final class WebSocketProtocol {
  /** First header byte: this frame ends its message. */
  public static final int B0_FLAG_FIN = 0x80;
  /** First header byte: the opcode. */
  public static final int B0_MASK_OPCODE = 0x0F;
  /** Second header byte: the payload is masked and a 4-byte key follows the length. */
  public static final int B1_FLAG_MASK = 0x80;
  /** Second header byte: the 7-bit payload length, or {@link #LENGTH_16} / {@link #LENGTH_64}. */
  public static final int B1_MASK_LENGTH = 0x7F;
  /** A 7-bit length announcing a 16-bit length after the second byte. */
  public static final int LENGTH_16 = 126;
  /** A 7-bit length announcing a 64-bit length after the second byte. */
  public static final int LENGTH_64 = 127;
  /** RSV1 within the reserved bits ({@link FrameHeader#rsv()}): set on a compressed message's first frame. */
  public static final int RSV1 = 4;
  /** The largest payload of a control frame. */
  public static final int MAX_CONTROL_PAYLOAD = 125;

  public static final int OPCODE_CONTINUATION = 0x0;
  public static final int OPCODE_TEXT = 0x1;
  public static final int OPCODE_BINARY = 0x2;
  /** The first control opcode: control frames (close, ping, pong) are the opcodes from here up. */
  public static final int OPCODE_CLOSE = 0x8;
  public static final int OPCODE_PING = 0x9;
  public static final int OPCODE_PONG = 0xA;

  public static final int CLOSE_NORMAL = 1000;
  public static final int CLOSE_GOING_AWAY = 1001;
  public static final int CLOSE_PROTOCOL_ERROR = 1002;
  public static final int CLOSE_INVALID_PAYLOAD = 1007;
  public static final int CLOSE_MESSAGE_TOO_BIG = 1009;
  public static final int CLOSE_INTERNAL_ERROR = 1011;
  /** Not a wire code: a close frame that carried no status code. */
  public static final int CLOSE_NO_CODE = 1005;
  /** Not a wire code: the connection ended without a close frame. */
  public static final int CLOSE_ABNORMAL = 1006;

  private WebSocketProtocol() {}

  /** Whether {@code opcode} is a control frame's (close, ping, pong or a reserved control opcode). */
  public static boolean isControl(int opcode) {
    return opcode >= OPCODE_CLOSE;
  }

  /** Whether a peer may send this code in a close frame. 1005, 1006 and 1015 never appear on the wire. */
  public static boolean isValidCloseCode(int code) {
    if (code >= 3000 && code <= 4999) {
      return true;
    }
    return code >= 1000 && code <= 1014 && code != 1004 && code != CLOSE_NO_CODE && code != CLOSE_ABNORMAL;
  }
}
