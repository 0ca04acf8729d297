package io.github.wsproxy.internal.frame;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class FrameHeaderTest {
  private final FrameHeader header = new FrameHeader();

  @Test
  void decodesWhatTheEncoderWritesForEveryLengthForm() {
    for (int length : new int[] {0, 125, 126, 0xFFFF, 0x10000}) {
      for (boolean masked : new boolean[] {false, true}) {
        ByteBuffer frame = FrameEncoder.encode(
            WebSocketProtocol.OPCODE_BINARY, false, new byte[length], 0, length, masked, 0x01020304);
        int headerLength = frame.remaining() - length;

        assertThat(header.decode(frame, 0, frame.limit())).isTrue();

        assertThat(header.complete()).isTrue();
        assertThat(header.payloadLength()).as("length %d", length).isEqualTo(length);
        assertThat(header.headerLength()).isEqualTo(headerLength);
        assertThat(header.masked()).isEqualTo(masked);
        assertThat(header.fin()).isFalse();
        assertThat(header.opcode()).isEqualTo(WebSocketProtocol.OPCODE_BINARY);
        assertThat(header.rsv()).isZero();
      }
    }
  }

  @Test
  void decodesTheFixedBytesBeforeTheRestOfTheHeaderArrives() {
    ByteBuffer frame = ByteBuffer.wrap(new byte[] {(byte) 0xC1, (byte) 0xFF, 0, 0, 0, 0, 0, 0, 1, 0});

    assertThat(header.decode(frame, 0, 1)).as("one byte is not enough").isFalse();
    assertThat(header.decode(frame, 0, 9)).isTrue();

    assertThat(header.complete()).as("the 64-bit length and the mask key are missing").isFalse();
    assertThat(header.fin()).isTrue();
    assertThat(header.rsv()).isEqualTo(WebSocketProtocol.RSV1);
    assertThat(header.opcode()).isEqualTo(WebSocketProtocol.OPCODE_TEXT);
    assertThat(header.masked()).isTrue();
    assertThat(header.length7()).isEqualTo(WebSocketProtocol.LENGTH_64);
    assertThat(header.headerLength()).isEqualTo(14);
  }

  @Test
  void aLengthWithItsMostSignificantBitSetDecodesAsNegative() {
    ByteBuffer frame = ByteBuffer.allocate(10).put(0, (byte) 0x82).put(1, (byte) 127).putLong(2, Long.MIN_VALUE);

    header.decode(frame, 0, 10);

    assertThat(header.complete()).isTrue();
    assertThat(header.payloadLength()).isNegative();
  }
}
