package io.github.wsproxy.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.java_websocket.WebSocketImpl;

/**
 * Sends exact frames on a Java-WebSocket connection by appending their bytes to its outgoing
 * queue, bypassing its {@code Framedata} classes: any opcode, RSV bits, payload or masking can be
 * sent, and nothing is compressed or validated. The frames are appended as one buffer, so nothing
 * the library sends concurrently lands between them. The connection's state does not change (a
 * close frame sent this way does not make it closing).
 */
final class RawFrameQueue {
  private RawFrameQueue() {}

  static void send(WebSocketImpl ws, List<WireFrame> frames, boolean mask) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (WireFrame frame : frames) {
      bytes.writeBytes(WireFrame.encode(frame, mask ? WireFrame.randomMaskKey() : null));
    }
    ws.outQueue.add(ByteBuffer.wrap(bytes.toByteArray()));
    ws.getWebSocketListener().onWriteDemand(ws);
  }
}
