package io.github.wsproxy.internal.loop;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/** A socket a {@link NioListening} accepted, not registered with a selector yet. */
final class NioAccepted implements Accepted {
  final SocketChannel channel;

  NioAccepted(SocketChannel channel) {
    this.channel = channel;
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // already gone
    }
  }
}
