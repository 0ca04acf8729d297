package io.github.wsproxy.testing;

import java.io.ByteArrayOutputStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/**
 * A JDK {@link WebSocket.Listener} that joins the parts the JDK delivers into whole messages:
 * subclasses get {@link #onWholeText} and {@link #onWholeBinary} once per message, in order. The
 * JDK calls a listener one event at a time, so subclasses need no locking for these two.
 */
public abstract class WholeMessageListener implements WebSocket.Listener {
  private final StringBuilder text = new StringBuilder();
  private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

  /** For subclasses. */
  protected WholeMessageListener() {}

  /**
   * A whole text message arrived.
   *
   * @param message the message's text
   */
  protected abstract void onWholeText(String message);

  /**
   * A whole binary message arrived (the array is the subclass's to keep).
   *
   * @param message the message's bytes
   */
  protected abstract void onWholeBinary(byte[] message);

  @Override
  public final CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    text.append(data);
    if (last) {
      String message = text.toString();
      text.setLength(0);
      onWholeText(message);
    }
    return null;
  }

  @Override
  public final CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    binary.writeBytes(bytes);
    if (last) {
      byte[] message = binary.toByteArray();
      binary.reset();
      onWholeBinary(message);
    }
    return null;
  }
}
