package io.github.wsproxy.internal.loop;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's selector: level-triggered readiness, each registered channel's handler being
 * its key's attachment. Ready keys are handed to the handlers as the selector finds them (no
 * selected-key set, no iterator), and the {@code OP_*} bits of {@link Conduit} and {@link
 * Listening} are {@link SelectionKey}'s.
 */
final class NioTransport implements Transport {
  private static final Logger log = LoggerFactory.getLogger(NioTransport.class);

  private final Selector selector;
  /** Created once: a method reference made at each poll would be an allocation per loop turn. */
  private final Consumer<SelectionKey> dispatch = NioTransport::dispatch;

  NioTransport() throws IOException {
    this.selector = Selector.open();
  }

  @Override
  public void poll(long timeoutMillis) throws IOException {
    if (timeoutMillis == 0) {
      selector.selectNow(dispatch);
    } else {
      selector.select(dispatch, timeoutMillis);
    }
  }

  private static void dispatch(SelectionKey key) {
    if (key.isValid()) {
      Handlers.ready((Readiness) key.attachment(), key.readyOps());
    }
  }

  @Override
  public void wakeup() {
    selector.wakeup();
  }

  @Override
  public Conduit connect(SocketAddress address, Readiness handler) throws IOException {
    // of the address's own family: a dual-stack socket would cost a system call more
    SocketChannel channel = SocketChannel.open(familyOf(address));
    try {
      channel.configureBlocking(false);
      if (address instanceof InetSocketAddress) {
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      }
      boolean connected = channel.connect(address);
      return new NioConduit(channel, register(channel, connected ? 0 : SelectionKey.OP_CONNECT, handler));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static StandardProtocolFamily familyOf(SocketAddress address) {
    if (!(address instanceof InetSocketAddress inet)) {
      return StandardProtocolFamily.UNIX;
    }
    return inet.getAddress() instanceof Inet4Address ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
  }

  @Override
  public Conduit adopt(Accepted socket, int ops, Readiness handler) throws IOException {
    SocketChannel channel = ((NioAccepted) socket).channel;
    channel.configureBlocking(false);
    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    return new NioConduit(channel, register(channel, ops, handler));
  }

  /** Registers a channel with this selector, its handler as the key's attachment. */
  SelectionKey register(SelectableChannel channel, int ops, Readiness handler) throws IOException {
    return channel.register(selector, ops, handler);
  }

  @Override
  public void close() {
    try {
      selector.close();
    } catch (IOException e) {
      log.debug("closing selector", e);
    }
  }
}
