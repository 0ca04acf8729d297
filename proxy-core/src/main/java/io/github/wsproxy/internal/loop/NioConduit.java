package io.github.wsproxy.internal.loop;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/** A {@link SocketChannel} registered with a {@link NioTransport}'s selector, and its key. */
final class NioConduit implements Conduit {
  private final SocketChannel channel;
  private final SelectionKey key;

  NioConduit(SocketChannel channel, SelectionKey key) {
    this.channel = channel;
    this.key = key;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return channel.read(dst);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return channel.write(src);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return channel.write(srcs, offset, length);
  }

  @Override
  public long write(ByteBuffer[] srcs) throws IOException {
    return channel.write(srcs);
  }

  @Override
  public int interestOps() {
    return key.interestOps();
  }

  @Override
  public void interestOps(int ops) {
    key.interestOps(ops);
  }

  @Override
  public void handler(Readiness handler) {
    key.attach(handler);
  }

  @Override
  public boolean finishConnect() throws IOException {
    return channel.finishConnect();
  }

  @Override
  public boolean isConnected() {
    return channel.isConnected();
  }

  @Override
  public SocketAddress remoteAddress() throws IOException {
    return channel.getRemoteAddress();
  }

  @Override
  public void shutdownOutput() throws IOException {
    channel.shutdownOutput();
  }

  @Override
  public boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  @Override
  public void reset() {
    try {
      if (channel.isConnected()) {
        channel.setOption(StandardSocketOptions.SO_LINGER, 0);
      }
    } catch (IOException | RuntimeException e) {
      // not a TCP socket (UNIX-domain), or already failing: it is closed either way
    }
    try {
      channel.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }
}
