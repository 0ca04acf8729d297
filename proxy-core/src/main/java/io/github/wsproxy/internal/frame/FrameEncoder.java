package io.github.wsproxy.internal.frame;

import java.nio.ByteBuffer;

/**
 * Frames the proxy writes itself: re-encoded intercepted messages, injected messages, closes. The
 * only writer of a frame header; {@link FrameHeader} is the only reader.
 */
public final class FrameEncoder {
  private FrameEncoder() {}

  /**
   * One frame carrying {@code payload[offset, offset + length)}, masked with {@code maskKey} when
   * {@code masked} (frames to an upstream), ready to write.
   */
  public static ByteBuffer encode(
      int opcode, boolean fin, byte[] payload, int offset, int length, boolean masked, int maskKey) {
    int lengthBytes = length < WebSocketProtocol.LENGTH_16 ? 0 : length <= 0xFFFF ? 2 : 8;
    ByteBuffer frame = ByteBuffer.allocate(2 + lengthBytes + (masked ? 4 : 0) + length);
    frame.put((byte) ((fin ? WebSocketProtocol.B0_FLAG_FIN : 0) | opcode));
    int maskBit = masked ? WebSocketProtocol.B1_FLAG_MASK : 0;
    if (lengthBytes == 0) {
      frame.put((byte) (maskBit | length));
    } else if (lengthBytes == 2) {
      frame.put((byte) (maskBit | WebSocketProtocol.LENGTH_16)).putShort((short) length);
    } else {
      frame.put((byte) (maskBit | WebSocketProtocol.LENGTH_64)).putLong(length);
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
