package io.github.wsproxy.internal.frame;

import java.nio.ByteBuffer;

/** Frames the proxy writes itself: re-encoded intercepted messages, injected messages, closes. */
public final class FrameEncoder {
  public static final int OP_CONTINUATION = 0;
  public static final int OP_TEXT = 1;
  public static final int OP_BINARY = 2;
  public static final int OP_CLOSE = 8;
  public static final int OP_PING = 9;

  private FrameEncoder() {}

  /**
   * One frame carrying {@code payload[offset, offset + length)}, masked with {@code maskKey} when
   * {@code masked} (frames to an upstream), ready to write.
   */
  public static ByteBuffer encode(
      int opcode, boolean fin, byte[] payload, int offset, int length, boolean masked, int maskKey) {
    int lengthBytes = length < 126 ? 0 : length <= 0xFFFF ? 2 : 8;
    ByteBuffer frame = ByteBuffer.allocate(2 + lengthBytes + (masked ? 4 : 0) + length);
    frame.put((byte) ((fin ? 0x80 : 0) | opcode));
    int maskBit = masked ? 0x80 : 0;
    if (lengthBytes == 0) {
      frame.put((byte) (maskBit | length));
    } else if (lengthBytes == 2) {
      frame.put((byte) (maskBit | 126)).putShort((short) length);
    } else {
      frame.put((byte) (maskBit | 127)).putLong(length);
    }
    if (masked) {
      frame.putInt(maskKey);
    }
    int payloadStart = frame.position();
    frame.put(payload, offset, length);
    if (masked) {
      Masking.xor(frame, payloadStart, frame.position(), Masking.repeated(maskKey, 0));
    }
    return frame.flip();
  }
}
