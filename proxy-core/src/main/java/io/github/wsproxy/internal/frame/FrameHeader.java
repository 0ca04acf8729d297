package io.github.wsproxy.internal.frame;

import java.nio.ByteBuffer;

/**
 * The one decoder of a WebSocket frame header (RFC 6455 §5.2), shared by the {@link FrameScanner}
 * that checks frames and the relay's message pipeline that decodes them. It only reads the fields;
 * judging them is the scanner's job. One instance is reused for every frame of its reader, so
 * decoding allocates nothing. Used by one event loop only.
 */
public final class FrameHeader {
  private int b0;
  private int b1;
  private int headerLength;
  private boolean complete;
  private long payloadLength;

  /**
   * Decodes the header that starts at {@code buf[pos]}, of which {@code buf[pos, to)} has arrived.
   *
   * @return false when fewer than the two fixed bytes have arrived (nothing is decoded); otherwise
   *     the fixed fields are decoded, and {@link #complete()} tells whether the extended length and
   *     the mask key have arrived too
   */
  public boolean decode(ByteBuffer buf, int pos, int to) {
    if (to - pos < 2) {
      return false;
    }
    b0 = buf.get(pos) & 0xFF;
    b1 = buf.get(pos + 1) & 0xFF;
    int length7 = length7();
    int extendedLength = length7 == WebSocketProtocol.LENGTH_16 ? 2 : length7 == WebSocketProtocol.LENGTH_64 ? 8 : 0;
    headerLength = 2 + extendedLength + (masked() ? 4 : 0);
    complete = to - pos >= headerLength;
    if (complete) {
      payloadLength = length7 < WebSocketProtocol.LENGTH_16 ? length7
          : length7 == WebSocketProtocol.LENGTH_16 ? buf.getShort(pos + 2) & 0xFFFF : buf.getLong(pos + 2);
    }
    return true;
  }

  /** Whether the frame ends its message. */
  public boolean fin() {
    return (b0 & WebSocketProtocol.B0_FLAG_FIN) != 0;
  }

  /** The reserved bits RSV1-RSV3 as a number from 0 to 7 (RSV1 is {@link WebSocketProtocol#RSV1}). */
  public int rsv() {
    return (b0 >> 4) & 7;
  }

  /** The opcode, one of {@code WebSocketProtocol.OPCODE_*} or a reserved one. */
  public int opcode() {
    return b0 & WebSocketProtocol.B0_MASK_OPCODE;
  }

  /** Whether the payload is masked (a mask key ends the header). */
  public boolean masked() {
    return (b1 & WebSocketProtocol.B1_FLAG_MASK) != 0;
  }

  /** The 7-bit length field: the payload length up to 125, otherwise the size of the extended length. */
  public int length7() {
    return b1 & WebSocketProtocol.B1_MASK_LENGTH;
  }

  /** The header's size in bytes, 2 to 14. */
  public int headerLength() {
    return headerLength;
  }

  /** Whether the whole header had arrived: only then is {@link #payloadLength()} decoded. */
  public boolean complete() {
    return complete;
  }

  /** The payload length; negative when a 64-bit length has its most significant bit set. */
  public long payloadLength() {
    return payloadLength;
  }
}
