package io.github.wsproxy.internal.loop;

import java.io.IOException;
import java.net.InetSocketAddress;

/** The JDK's NIO transport: a {@code Selector} per event loop (epoll on Linux); every Java 17+ runtime. */
public final class NioTransportProvider implements TransportProvider {
  @Override
  public String name() {
    return "nio";
  }

  @Override
  public Transport open() throws IOException {
    return new NioTransport();
  }

  @Override
  public Listening listen(InetSocketAddress address, int backlog) throws IOException {
    return new NioListening(address, backlog);
  }
}
