package io.github.wsproxy.internal.frame;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Close frames the proxy sends itself. */
public final class CloseFrames {
  private static final int MAX_REASON_BYTES = 123;

  private CloseFrames() {}

  /**
   * A close frame with a code and a reason cut to 123 bytes on a character boundary, masked with
   * {@code maskKey} when {@code masked} (frames to an upstream), ready to write.
   */
  public static ByteBuffer of(int code, String reason, boolean masked, int maskKey) {
    byte[] reasonBytes = truncatedUtf8(reason);
    byte[] payload = new byte[2 + reasonBytes.length];
    payload[0] = (byte) (code >> 8);
    payload[1] = (byte) code;
    System.arraycopy(reasonBytes, 0, payload, 2, reasonBytes.length);
    return FrameEncoder.encode(WebSocketProtocol.OPCODE_CLOSE, true, payload, 0, payload.length, masked, maskKey);
  }

  private static byte[] truncatedUtf8(String reason) {
    byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_REASON_BYTES) {
      return bytes;
    }
    int end = MAX_REASON_BYTES;
    while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
      end--;
    }
    byte[] cut = new byte[end];
    System.arraycopy(bytes, 0, cut, 0, end);
    return cut;
  }
}
