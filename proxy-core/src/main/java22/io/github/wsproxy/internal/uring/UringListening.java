package io.github.wsproxy.internal.uring;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.github.wsproxy.internal.loop.Accepted;
import io.github.wsproxy.internal.loop.Handlers;
import io.github.wsproxy.internal.loop.Listening;
import io.github.wsproxy.internal.loop.Readiness;
import io.github.wsproxy.internal.loop.Transport;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;

/**
 * A listen socket created through the C library (socket, bind, listen), accepting with a multishot
 * IORING_OP_ACCEPT once registered: each completion is a new descriptor, queued here until {@link
 * #accept} hands it out. Paused ({@code interestOps(0)}) the accept is cancelled, so connections wait
 * in the backlog. Accepted sockets inherit TCP_NODELAY from it.
 */
final class UringListening extends Registration implements Listening {
  private final InetSocketAddress localAddress;
  private volatile boolean open = true;
  private Readiness handler;
  private int interest;
  private boolean accepting;
  private boolean cancelling;
  private int[] accepted = new int[16];
  private int acceptedHead;
  private int acceptedCount;
  private int acceptError;

  private UringListening(int fd, InetSocketAddress localAddress) {
    super(null, fd);
    this.localAddress = localAddress;
  }

  /** Binds a listen socket to {@code address} (an IPv4 wildcard listens on IPv6 too, as NIO does). */
  static UringListening bind(InetSocketAddress address, int backlog) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment errno = Native.errnoSegment(arena);
      MemorySegment memory = arena.allocate(SocketAddresses.MAX_SIZE + 16, 8);
      int family = SocketAddresses.family(address);
      int fd = -1;
      if (family == Native.AF_INET && address.getAddress().isAnyLocalAddress()) {
        fd = Native.socket(errno, Native.AF_INET6, Native.SOCK_STREAM);
        family = fd >= 0 ? Native.AF_INET6 : family;
      }
      if (fd < 0) {
        fd = Native.socket(errno, family, Native.SOCK_STREAM);
      }
      if (fd < 0) {
        throw Native.exception("socket", Native.errno(errno));
      }
      try {
        MemorySegment value = memory.asSlice(SocketAddresses.MAX_SIZE, 8);
        value.set(JAVA_INT, 0, 1);
        check(errno, Native.setsockopt(errno, fd, Native.SOL_SOCKET, Native.SO_REUSEADDR, value.address(), 4), "setsockopt");
        check(errno, Native.setsockopt(errno, fd, Native.IPPROTO_TCP, Native.TCP_NODELAY, value.address(), 4), "setsockopt");
        if (family == Native.AF_INET6 && address.getAddress().isAnyLocalAddress()) {
          value.set(JAVA_INT, 0, 0); // dual stack whatever net.ipv6.bindv6only says, as NIO does
          check(errno, Native.setsockopt(errno, fd, Native.IPPROTO_IPV6, Native.IPV6_V6ONLY, value.address(), 4),
              "setsockopt");
        }
        int length = SocketAddresses.write(address, family, memory, 0);
        if (Native.bind(errno, fd, memory.address(), length) < 0) {
          throw Native.exception(Native.errno(errno));
        }
        check(errno, Native.listen(errno, fd, backlog), "listen");
        value.set(JAVA_INT, 0, SocketAddresses.MAX_SIZE);
        check(errno, Native.getsockname(errno, fd, memory.address(), value.address()), "getsockname");
        InetSocketAddress bound = (InetSocketAddress) SocketAddresses.read(memory, 0, value.get(JAVA_INT, 0));
        InetAddress host = address.getAddress();
        return new UringListening(fd, new InetSocketAddress(host, bound.getPort()));
      } catch (IOException | RuntimeException e) {
        Native.close(errno, fd);
        throw e;
      }
    }
  }

  private static void check(MemorySegment errno, int result, String what) throws IOException {
    if (result < 0) {
      throw Native.exception(what, Native.errno(errno));
    }
  }

  @Override
  public InetSocketAddress localAddress() {
    return localAddress;
  }

  @Override
  public void register(Transport loopTransport, Readiness handler) throws IOException {
    if (!open) {
      throw new ClosedChannelException();
    }
    this.transport = (UringTransport) loopTransport;
    this.handler = handler;
    transport.register(this);
    interestOps(OP_ACCEPT);
  }

  @Override
  public void interestOps(int ops) {
    if (!open) {
      return;
    }
    interest = ops;
    if ((ops & OP_ACCEPT) != 0) {
      arm();
      if (acceptedCount > 0 || acceptError != 0) {
        transport.markReady(this);
      }
    } else if (accepting && !cancelling) {
      cancelling = true; // paused: connections wait in the backlog
      transport.cancel(this, UringTransport.OP_ACCEPT);
    }
  }

  private void arm() {
    if (accepting || !open || acceptError != 0) {
      return;
    }
    long sqe = transport.submitUnchecked(this, Ring.IORING_OP_ACCEPT, UringTransport.OP_ACCEPT, 0, 0);
    transport.ring.sqeIoprio(sqe, Ring.IORING_ACCEPT_MULTISHOT);
    transport.ring.sqeOpFlags(sqe, Native.SOCK_CLOEXEC);
    accepting = true;
  }

  @Override
  public Accepted accept() throws IOException {
    if (!open) {
      throw new ClosedChannelException();
    }
    if (acceptedCount > 0) {
      int fd = accepted[acceptedHead];
      acceptedHead = (acceptedHead + 1) % accepted.length;
      acceptedCount--;
      return new UringAccepted(fd);
    }
    if (acceptError != 0) {
      int error = acceptError;
      acceptError = 0;
      if ((interest & OP_ACCEPT) != 0) {
        arm();
      }
      throw Native.exception("accept", error);
    }
    return null;
  }

  @Override
  void complete(int op, int result, int flags) {
    if (op != UringTransport.OP_ACCEPT) {
      return; // the cancel's own completion
    }
    if ((flags & Ring.IORING_CQE_F_MORE) == 0) {
      accepting = false;
      cancelling = false;
    }
    if (result >= 0) {
      if (open) {
        queue(result);
      } else {
        new UringAccepted(result).close();
      }
    } else if (result != -Native.ECANCELED && open) {
      acceptError = -result;
    }
    if (!open) {
      return;
    }
    if (!accepting && (interest & OP_ACCEPT) != 0) {
      arm();
    }
    if (acceptedCount > 0 || acceptError != 0) {
      transport.markReady(this);
    }
  }

  private void queue(int fd) {
    if (acceptedCount == accepted.length) {
      int[] larger = new int[acceptedCount * 2];
      for (int i = 0; i < acceptedCount; i++) {
        larger[i] = accepted[(acceptedHead + i) % acceptedCount];
      }
      accepted = larger;
      acceptedHead = 0;
    }
    accepted[(acceptedHead + acceptedCount) % accepted.length] = fd;
    acceptedCount++;
  }

  @Override
  void dispatch() {
    if (open && (interest & OP_ACCEPT) != 0 && (acceptedCount > 0 || acceptError != 0)) {
      Handlers.ready(handler, OP_ACCEPT);
      if (open && (interest & OP_ACCEPT) != 0 && (acceptedCount > 0 || acceptError != 0)) {
        transport.markReady(this);
      }
    }
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  /**
   * Stops listening at once (shutdown, which also ends the multishot accept, then close); on the
   * registered loop, or on any thread once that loop has stopped.
   */
  @Override
  public void close() {
    if (!open) {
      return;
    }
    open = false;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment errno = Native.errnoSegment(arena);
      Native.shutdown(errno, fd, Native.SHUT_RDWR);
      Native.close(errno, fd);
      while (acceptedCount > 0) {
        Native.close(errno, accepted[acceptedHead]);
        acceptedHead = (acceptedHead + 1) % accepted.length;
        acceptedCount--;
      }
    }
    if (transport != null && !transport.isClosed() && accepting && !cancelling) {
      cancelling = true;
      transport.cancel(this, UringTransport.OP_ACCEPT);
    }
  }

  @Override
  boolean finished() {
    return !open;
  }

  @Override
  void abandon() {
    close();
  }
}
