package io.github.wsproxy.internal.loop;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A non-blocking {@link ServerSocketChannel}, registered with one {@link NioTransport}'s selector. */
final class NioListening implements Listening {
  private static final Logger log = LoggerFactory.getLogger(NioListening.class);

  private final ServerSocketChannel channel;
  private final InetSocketAddress localAddress;
  private SelectionKey key;

  NioListening(InetSocketAddress address, int backlog) throws IOException {
    this.channel = ServerSocketChannel.open();
    try {
      channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      channel.bind(address, backlog);
      channel.configureBlocking(false);
      this.localAddress = (InetSocketAddress) channel.getLocalAddress();
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  @Override
  public InetSocketAddress localAddress() {
    return localAddress;
  }

  @Override
  public void register(Transport transport, Readiness handler) throws IOException {
    key = ((NioTransport) transport).register(channel, OP_ACCEPT, handler);
  }

  @Override
  public void interestOps(int ops) {
    key.interestOps(ops);
  }

  @Override
  public Accepted accept() throws IOException {
    SocketChannel accepted = channel.accept();
    return accepted == null ? null : new NioAccepted(accepted);
  }

  @Override
  public boolean isOpen() {
    return key == null ? channel.isOpen() : key.isValid();
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      log.debug("closing the listen socket", e);
    }
  }
}
