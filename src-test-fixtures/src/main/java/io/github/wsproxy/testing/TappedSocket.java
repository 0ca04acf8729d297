package io.github.wsproxy.testing;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import javax.net.SocketFactory;

/**
 * A client socket that copies every byte read into a {@link WireTap} and tells when it is closed;
 * used by {@link JwsTestClient}, whose library reads on one thread and closes the socket from its
 * write thread as that thread ends.
 */
final class TappedSocket extends Socket {
  private final WireTap tap;
  final CountDownLatch closed = new CountDownLatch(1);

  TappedSocket(WireTap tap) {
    this.tap = tap;
  }

  @Override
  public InputStream getInputStream() throws IOException {
    return new FilterInputStream(super.getInputStream()) {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
          tap.feed(b, off, n);
        }
        return n;
      }
    };
  }

  @Override
  public synchronized void close() throws IOException {
    try {
      super.close();
    } finally {
      closed.countDown();
    }
  }

  /** A factory that hands out exactly this socket, unconnected. */
  SocketFactory factory() {
    return new SocketFactory() {
      @Override
      public Socket createSocket() {
        return TappedSocket.this;
      }

      @Override
      public Socket createSocket(String host, int port) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Socket createSocket(String host, int port, InetAddress local, int localPort) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Socket createSocket(InetAddress host, int port) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort) {
        throw new UnsupportedOperationException();
      }
    };
  }
}
