package io.github.wsproxy.testing;

import java.util.ArrayList;
import java.util.List;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.HandshakeState;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.extensions.IExtension;
import org.java_websocket.extensions.permessage_deflate.PerMessageDeflateExtension;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.protocols.IProtocol;
import org.java_websocket.protocols.Protocol;

/**
 * The {@link TestUpstream}'s draft. Java-WebSocket 1.6.0 picks a subprotocol in the server's
 * preference order (the first of its known protocols the client offered); this draft picks the
 * first protocol the client offered that the server supports, and accepts offers it does not
 * support without choosing a protocol.
 */
final class UpstreamDraft extends Draft_6455 {
  private final boolean deflate;
  private final List<String> supported;
  private final int maxFrameSize;
  private String chosen;

  UpstreamDraft(boolean deflate, List<String> supported, int maxFrameSize) {
    super(extensions(deflate), List.<IProtocol>of(new Protocol("")), maxFrameSize);
    this.deflate = deflate;
    this.supported = List.copyOf(supported);
    this.maxFrameSize = maxFrameSize;
  }

  private static List<IExtension> extensions(boolean deflate) {
    List<IExtension> list = new ArrayList<>();
    if (deflate) {
      list.add(new PerMessageDeflateExtension());
    }
    return list;
  }

  @Override
  public HandshakeState acceptHandshakeAsServer(ClientHandshake handshake)
      throws InvalidHandshakeException {
    HandshakeState state = super.acceptHandshakeAsServer(handshake);
    chosen = null;
    // Java-WebSocket joins repeated header lines with "; ", and tokens contain neither ',' nor ';'.
    for (String offer : handshake.getFieldValue("Sec-WebSocket-Protocol").split("[,;]")) {
      String token = offer.trim();
      if (!token.isEmpty() && supported.contains(token)) {
        chosen = token;
        break;
      }
    }
    return state;
  }

  @Override
  public IProtocol getProtocol() {
    return chosen != null ? new Protocol(chosen) : super.getProtocol();
  }

  @Override
  public Draft copyInstance() {
    return new UpstreamDraft(deflate, supported, maxFrameSize);
  }
}
