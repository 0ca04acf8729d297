package io.github.wsproxy.internal.uring;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.wsproxy.IoTransport;
import io.github.wsproxy.internal.loop.Accepted;
import io.github.wsproxy.internal.loop.BufferPool;
import io.github.wsproxy.internal.loop.Conduit;
import io.github.wsproxy.internal.loop.EventLoop;
import io.github.wsproxy.internal.loop.Listening;
import io.github.wsproxy.internal.loop.Readiness;
import io.github.wsproxy.internal.loop.Transports;
import io.github.wsproxy.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The io_uring transport over loopback, with real sockets and a real event loop: echo through
 * accepted and connected sockets, a completion queue that overflows, an empty buffer ring, sends
 * larger than the socket buffer, buffers handed over (sent without a copy, released once), bulk
 * received into the reader's buffers (taken without a copy, released once, none held when quiet),
 * cancellation on close, and the fallback when io_uring is missing.
 */
class UringTransportTest {
  private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  private final List<EventLoop> loops = new ArrayList<>();
  /** Threads for the blocking clients (the common pool may have one thread only). */
  private static final ExecutorService clients = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "uring-test-client");
    thread.setDaemon(true);
    return thread;
  });

  @AfterEach
  void stopLoops() throws InterruptedException {
    for (EventLoop loop : loops) {
      loop.stop();
      loop.join();
    }
  }

  private EventLoop loop(UringTransportProvider provider) throws IOException {
    EventLoop loop = new EventLoop("uring-test-" + loops.size(), provider);
    loops.add(loop);
    loop.start();
    return loop;
  }

  private static UringTransportProvider provider() {
    return sized(64, 64, 4096, 64 * 1024);
  }

  /** Ring entries, receive buffers and their size, send buffer size. */
  private static UringTransportProvider sized(int entries, int buffers, int bufferSize, int sendBufferSize) {
    return new UringTransportProvider(entries, buffers, bufferSize, sendBufferSize, UringTransportProvider.LINGER_NANOS,
        false);
  }

  /** Runs {@code task} on the loop and waits for its result. */
  private static <T> T onLoop(EventLoop loop, ThrowingSupplier<T> task) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    loop.execute(() -> {
      try {
        result.complete(task.get());
      } catch (Exception | Error e) {
        result.completeExceptionally(e);
      }
    });
    return result.get(10, TimeUnit.SECONDS);
  }

  interface ThrowingSupplier<T> {
    T get() throws Exception;
  }

  interface ConduitAction {
    void run(Conduit conduit) throws IOException;
  }

  /** A listen socket on the loop that adopts each connection (interested in nothing) and runs {@code action}. */
  private static Listening serve(EventLoop loop, InetSocketAddress address, ConduitAction action) throws Exception {
    Listening listening = provider().listen(address, 64);
    onLoop(loop, () -> {
      listening.register(loop.transport(), readyOps -> {
        try {
          Accepted accepted;
          while ((accepted = listening.accept()) != null) {
            action.run(loop.transport().adopt(accepted, 0, ops -> { }));
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      return null;
    });
    return listening;
  }

  /** An echo server on the loop: accepts, adopts each socket, and writes back what it reads. */
  private static final class EchoServer {
    final Listening listening;
    final List<Conduit> conduits = new ArrayList<>();
    final AtomicInteger handlerCallsAfterClose = new AtomicInteger();

    EchoServer(EventLoop loop, UringTransportProvider provider) throws Exception {
      listening = provider.listen(LOOPBACK, 128);
      onLoop(loop, () -> {
        listening.register(loop.transport(), readyOps -> acceptAll(loop));
        return null;
      });
    }

    int port() {
      return listening.localAddress().getPort();
    }

    private void acceptAll(EventLoop loop) {
      try {
        Accepted accepted;
        while ((accepted = listening.accept()) != null) {
          Echo echo = new Echo();
          echo.conduit = loop.transport().adopt(accepted, Conduit.OP_READ, echo);
          conduits.add(echo.conduit);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private final class Echo implements Readiness {
      Conduit conduit;
      final ByteBuffer pending = ByteBuffer.allocateDirect(8192);

      @Override
      public void onReady(int readyOps) {
        if (!conduit.isOpen()) {
          handlerCallsAfterClose.incrementAndGet();
          return;
        }
        try {
          if ((readyOps & Conduit.OP_READ) != 0 && pending.position() == 0) {
            int n = conduit.read(pending);
            if (n < 0) {
              conduit.close();
              return;
            }
          }
          pending.flip();
          conduit.write(pending);
          pending.compact();
          // backpressure as the relay does it: read only when everything read is written
          conduit.interestOps(pending.position() == 0 ? Conduit.OP_READ : Conduit.OP_WRITE);
        } catch (IOException e) {
          conduit.reset();
        }
      }
    }
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** Writes {@code bytes} to a new client of the port and reads the echo back, writing and reading at once. */
  private static byte[] echo(int port, byte[] bytes) throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(10_000);
      CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
        try {
          OutputStream out = socket.getOutputStream();
          out.write(bytes);
          out.flush();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }, clients);
      byte[] back = new byte[bytes.length];
      new DataInputStream(socket.getInputStream()).readFully(back);
      writing.get(10, TimeUnit.SECONDS);
      return back;
    }
  }

  @Test
  void echoesThroughAcceptedSockets() throws Throwable {
    EventLoop loop = loop(provider());
    EchoServer server = new EchoServer(loop, provider());
    byte[] small = "hello io_uring".getBytes();
    assertThat(echo(server.port(), small)).isEqualTo(small);
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      Await.until(() -> server.conduits.size() == 2, "the client accepted");
      int accepted = onLoop(loop, () -> ((UringConduit) server.conduits.get(1)).fd);
      assertThat(tcpNoDelay(accepted)).as("TCP_NODELAY, inherited from the listen socket").isTrue();
      assertThat(onLoop(loop, () -> ((UringConduit) server.conduits.get(1)).fixed)).as("in the table of fixed files")
          .isTrue();
    }
    byte[] large = randomBytes(1 << 20, 1);
    assertThat(echo(server.port(), large)).isEqualTo(large);
  }

  @Test
  void socketsInAndBeyondTheTableOfFixedFilesEchoAndCloseAlikeAndFreedIndexesAreReused() throws Exception {
    // A table of 3 fixed files: the listen socket takes slot 0 (not fixed: it accepts by
    // descriptor), the accepted sockets slots 1 to 5, of which 1 and 2 are fixed and the others go
    // by their descriptors. Closing must really close the fixed ones too (the table holds a
    // reference), and the slots freed, fixed indexes included, serve the next round.
    EventLoop loop = loop(new UringTransportProvider(64, 64, 4096, 64 * 1024, UringTransportProvider.LINGER_NANOS, 3,
        false));
    EchoServer server = new EchoServer(loop, provider());
    for (int round = 0; round < 2; round++) {
      List<Socket> clients = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        clients.add(new Socket(InetAddress.getLoopbackAddress(), server.port()));
      }
      int first = round * 5;
      Await.until(() -> server.conduits.size() == first + 5, "5 clients accepted");
      List<Conduit> round5 = List.copyOf(server.conduits.subList(first, first + 5));
      List<String> fixed = onLoop(loop, () -> round5.stream()
          .map(c -> ((UringConduit) c).slot + (((UringConduit) c).fixed ? " fixed" : "")).sorted().toList());
      assertThat(fixed).as("slots, and which are fixed").containsExactly("1 fixed", "2 fixed", "3", "4", "5");
      for (int i = 0; i < clients.size(); i++) {
        Socket client = clients.get(i);
        client.setSoTimeout(10_000);
        byte[] bytes = ("echo " + i).getBytes();
        client.getOutputStream().write(bytes);
        assertThat(new DataInputStream(client.getInputStream()).readNBytes(bytes.length)).isEqualTo(bytes);
      }
      onLoop(loop, () -> {
        for (Conduit conduit : round5) {
          conduit.close();
        }
        return null;
      });
      for (Socket client : clients) {
        assertThat(client.getInputStream().read()).as("end of stream after the close").isEqualTo(-1);
        client.close();
      }
      Await.until(() -> onLoopQuietly(loop, () -> round5.stream().allMatch(c -> ((UringConduit) c).slot < 0)),
          "the closed sockets' slots freed");
    }
  }

  @Test
  void theIpv4WildcardListensOnIpv6TooAsNioDoes() throws Exception {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
      assertThat(probe.isBound()).isTrue();
    } catch (IOException e) {
      Assumptions.assumeTrue(false, "no IPv6 loopback here: " + e);
    }
    EventLoop loop = loop(provider());
    List<SocketAddress> peers = new ArrayList<>();
    Listening listening = serve(loop, new InetSocketAddress(0), conduit -> {
      peers.add(conduit.remoteAddress());
      conduit.close();
    });
    int port = listening.localAddress().getPort();
    assertThat(listening.localAddress().getAddress().isAnyLocalAddress()).isTrue();
    try (Socket v4 = new Socket("127.0.0.1", port); Socket v6 = new Socket("::1", port)) {
      Await.until(() -> onLoopQuietly(loop, () -> peers.size()) == 2, "both clients accepted");
      List<String> hosts = onLoop(loop, () -> peers.stream()
          .map(peer -> ((InetSocketAddress) peer).getAddress().getHostAddress()).toList());
      assertThat(hosts).containsExactlyInAnyOrder("127.0.0.1", "0:0:0:0:0:0:0:1");
    }
    onLoop(loop, () -> {
      listening.close();
      return null;
    });
  }

  private static <T> T onLoopQuietly(EventLoop loop, ThrowingSupplier<T> task) {
    try {
      return onLoop(loop, task);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void connectsWritesAndReads() throws Exception {
    EventLoop loop = loop(provider());
    EchoServer server = new EchoServer(loop, provider());
    CompletableFuture<String> answer = new CompletableFuture<>();
    onLoop(loop, () -> {
      AtomicReference<Conduit> conduit = new AtomicReference<>();
      ByteBuffer in = ByteBuffer.allocate(64);
      conduit.set(loop.transport().connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()),
          readyOps -> {
            try {
              Conduit c = conduit.get();
              if ((readyOps & Conduit.OP_CONNECT) != 0 && c.finishConnect()) {
                c.write(ByteBuffer.wrap("ping".getBytes()));
                c.interestOps(Conduit.OP_READ);
              } else if ((readyOps & Conduit.OP_READ) != 0) {
                c.read(in);
                if (in.position() == 4) {
                  answer.complete(new String(in.array(), 0, 4) + " from " + c.remoteAddress());
                  c.close();
                }
              }
            } catch (IOException e) {
              answer.completeExceptionally(e);
            }
          }));
      assertThat(conduit.get().interestOps()).isEqualTo(Conduit.OP_CONNECT);
      return null;
    });
    assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo("ping from " + new InetSocketAddress(
        InetAddress.getLoopbackAddress(), server.port()));
  }

  @Test
  void aRefusedConnectFailsInFinishConnect() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    EventLoop loop = loop(provider());
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    onLoop(loop, () -> {
      AtomicReference<Conduit> conduit = new AtomicReference<>();
      conduit.set(loop.transport().connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort),
          readyOps -> {
            try {
              conduit.get().finishConnect();
              failure.complete(null);
            } catch (IOException e) {
              failure.complete(e);
              conduit.get().reset();
            }
          }));
      return null;
    });
    assertThat(failure.get(10, TimeUnit.SECONDS)).isInstanceOf(ConnectException.class)
        .hasMessage("Connection refused");
  }

  @Test
  void completionsBeyondTheCompletionQueueAreNotLost() throws Exception {
    // A ring of 4 submissions has 16 completion slots; 64 clients whose bytes all arrive while the
    // loop is busy make more completions than that at once (the kernel keeps the overflow).
    UringTransportProvider tiny = sized(4, 256, 1024, 4096);
    EventLoop loop = loop(tiny);
    EchoServer server = new EchoServer(loop, tiny);
    int clients = 64;
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < clients; i++) {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
        socket.setSoTimeout(10_000);
        sockets.add(socket);
      }
      Await.until(() -> server.conduits.size() == clients, "all clients accepted");
      CountDownLatch busy = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      loop.execute(() -> {
        busy.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      busy.await();
      for (int i = 0; i < clients; i++) {
        sockets.get(i).getOutputStream().write(("client " + i + ";").getBytes());
      }
      release.countDown();
      for (int i = 0; i < clients; i++) {
        byte[] expected = ("client " + i + ";").getBytes();
        byte[] back = new byte[expected.length];
        new DataInputStream(sockets.get(i).getInputStream()).readFully(back);
        assertThat(back).isEqualTo(expected);
      }
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  @Test
  void anEmptyBufferRingDelaysReceivingButLosesNothing() throws Exception {
    // 2 receive buffers of 256 bytes for 8 clients sending 64 KiB each: receives end with -ENOBUFS
    // and are re-armed once readers give buffers back.
    UringTransportProvider starved = sized(64, 2, 256, 4096);
    EventLoop loop = loop(starved);
    EchoServer server = new EchoServer(loop, starved);
    List<CompletableFuture<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      byte[] bytes = randomBytes(64 * 1024, i);
      results.add(CompletableFuture.supplyAsync(() -> {
        try {
          return Arrays.equals(echo(server.port(), bytes), bytes);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, clients));
    }
    for (CompletableFuture<Boolean> result : results) {
      assertThat(result.get(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void writesLargerThanTheSocketBufferGoOutInShortSendsAndInOrder() throws Exception {
    EventLoop loop = loop(provider());
    AtomicInteger zeroWrites = new AtomicInteger();
    sendToASlowReader(loop, randomBytes(8 << 20, 7), (c, source) -> {
      while (source.hasRemaining()) {
        if (c.write(source) == 0) {
          zeroWrites.incrementAndGet();
          return false;
        }
      }
      return true;
    });
    assertThat(zeroWrites.get()).as("writes refused while the send buffer was full").isPositive();
  }

  @Test
  void handedOverBuffersAndCopiedWritesGoOutInOrderAndBackToTheirPools() throws Exception {
    // 8 MiB to a slow reader, alternately handed over in pooled buffers of 16 KiB and copied in
    // writes of up to 1000 bytes: one stream, in order; every buffer back in its pool at the end;
    // and handOver refuses a buffer while the conduit holds its bound (64 KiB), as write takes 0.
    EventLoop loop = loop(provider());
    UringTransport transport = onLoop(loop, () -> (UringTransport) loop.transport());
    BufferPool pool = new BufferPool(16 * 1024, 4);
    AtomicInteger refused = new AtomicInteger();
    ByteBuffer[] kept = new ByteBuffer[1];
    sendToASlowReader(loop, randomBytes(8 << 20, 11), (c, source) -> {
      for (int i = 0; source.hasRemaining() || kept[0] != null; i++) {
        if (kept[0] == null && i % 2 == 1) {
          ByteBuffer part = source.slice(source.position(), Math.min(1000, source.remaining()));
          source.position(source.position() + c.write(part));
          if (part.hasRemaining()) {
            return false;
          }
          continue;
        }
        if (kept[0] == null) {
          kept[0] = pool.acquire();
          int n = Math.min(kept[0].remaining(), source.remaining());
          kept[0].put(0, source, source.position(), n).limit(n);
          source.position(source.position() + n);
        }
        if (!c.handOver(kept[0], pool)) {
          refused.incrementAndGet();
          return false;
        }
        kept[0] = null;
      }
      return true;
    });
    assertThat(refused.get()).as("buffers refused while the conduit held its bound").isPositive();
    assertThat(onLoop(loop, pool::outstanding)).as("handed-over buffers not released").isZero();
    assertThat(onLoop(loop, transport.sends::outstanding)).as("send buffers not released").isZero();
  }

  interface Sender {
    /** Writes what it can of {@code source}: true once all of it is written, false when the conduit is full. */
    boolean send(Conduit conduit, ByteBuffer source) throws IOException;
  }

  /**
   * Connects a conduit on the loop to a reader whose receive buffer is 4 KiB and sends it {@code
   * payload} as {@code sender} writes it, waiting for writability when it is full, then closes
   * gracefully: the reader gets all of it, in order, then the end of the stream.
   */
  private static void sendToASlowReader(EventLoop loop, byte[] payload, Sender sender) throws Exception {
    try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      peer.setReceiveBufferSize(4096);
      onLoop(loop, () -> {
        ByteBuffer source = ByteBuffer.wrap(payload);
        AtomicReference<Conduit> conduit = new AtomicReference<>();
        conduit.set(loop.transport().connect(peer.getLocalSocketAddress(), readyOps -> {
          try {
            Conduit c = conduit.get();
            if ((readyOps & Conduit.OP_CONNECT) != 0) {
              c.finishConnect();
            }
            if (sender.send(c, source)) {
              c.close(); // graceful: what is still queued goes out before the FIN
            } else {
              c.interestOps(Conduit.OP_WRITE);
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }));
        return null;
      });
      try (Socket reader = peer.accept()) {
        reader.setSoTimeout(10_000);
        InputStream in = reader.getInputStream();
        byte[] received = in.readNBytes(payload.length + 1);
        assertThat(received.length).isEqualTo(payload.length);
        assertThat(received).isEqualTo(payload);
      }
    }
  }

  @Test
  void aResetWhileAHandedOverSendIsInFlightReleasesTheBufferOnceWhenTheSendEnds() throws Exception {
    handedOverSendInFlightThen(Conduit::reset, UringTransportProvider.LINGER_NANOS);
  }

  @Test
  void aCloseWhoseLingerRunsOutWhileAHandedOverSendIsInFlightReleasesTheBufferOnce() throws Exception {
    handedOverSendInFlightThen(Conduit::close, 200_000_000L);
  }

  /**
   * Hands a 1 MiB buffer to a conduit whose peer reads nothing, so that its send stays in flight,
   * then ends the conduit: the buffer stays out of the pool while the kernel may read it, goes back
   * once the send completes (cancelled), and only once; no send buffer was used (no copy).
   */
  private void handedOverSendInFlightThen(ConduitAction end, long lingerNanos) throws Exception {
    EventLoop loop = loop(new UringTransportProvider(64, 64, 4096, 64 * 1024, lingerNanos, false));
    UringTransport transport = onLoop(loop, () -> (UringTransport) loop.transport());
    BufferPool pool = new BufferPool(1 << 20, 4);
    try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      peer.setReceiveBufferSize(4096);
      CompletableFuture<UringConduit> connected = connectWithASmallSendBuffer(loop, peer,
          c -> assertThat(c.handOver(pool.acquire(), pool)).isTrue());
      try (Socket reader = peer.accept()) {
        UringConduit conduit = connected.get(10, TimeUnit.SECONDS);
        Await.until(() -> onLoopQuietly(loop, () -> conduit.sendInFlight), "a send in flight the peer does not take");
        int[] outstanding = onLoop(loop, () -> {
          int before = pool.outstanding();
          int copies = transport.sends.outstanding();
          end.run(conduit);
          return new int[] {before, copies, pool.outstanding()};
        });
        assertThat(outstanding[0]).as("the buffer held by the conduit").isEqualTo(1);
        assertThat(outstanding[1]).as("send buffers used: a copy").isZero();
        assertThat(outstanding[2]).as("released while its send was in flight").isEqualTo(1);
        Await.until(() -> onLoopQuietly(loop, pool::outstanding) < 1, "the buffer released once the send ended");
        for (int i = 0; i < 5; i++) {
          onLoop(loop, () -> null);
        }
        assertThat(onLoop(loop, pool::outstanding)).as("released exactly once").isZero();
        Await.until(() -> onLoopQuietly(loop, conduit::finished), "the descriptor closed");
      }
    }
  }

  @Test
  void closingCancelsReceivesSoNoHandlerHearsOfItAndNoDescriptorLeaks() throws Exception {
    Set<String> before = descriptors();
    EventLoop loop = loop(provider());
    EchoServer server = new EchoServer(loop, provider());
    List<Socket> clients = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      clients.add(new Socket(InetAddress.getLoopbackAddress(), server.port()));
    }
    Await.until(() -> server.conduits.size() == 16, "all clients accepted");
    // the transport's own: the ring, its eventfd, the listen socket, the accepted sockets
    Set<String> ours = new HashSet<>(descriptors());
    ours.removeAll(before);
    ours.removeIf(fd -> !fd.contains("->anon_inode:") && !isOneOf(fd, server));
    assertThat(ours).hasSize(2 + 1 + 16);
    onLoop(loop, () -> {
      for (int i = 0; i < server.conduits.size(); i++) {
        Conduit conduit = server.conduits.get(i);
        if (i % 2 == 0) {
          conduit.close();
        } else {
          conduit.reset();
        }
      }
      return null;
    });
    for (Socket client : clients) {
      try {
        client.getOutputStream().write("too late".getBytes());
      } catch (IOException e) {
        // reset already
      }
    }
    for (Socket client : clients) {
      client.setSoTimeout(10_000);
      try {
        assertThat(client.getInputStream().read()).isEqualTo(-1);
      } catch (IOException e) {
        assertThat(e).hasMessageContaining("reset");
      }
      client.close();
    }
    onLoop(loop, () -> null); // a turn after the closes' completions
    assertThat(server.handlerCallsAfterClose).hasValue(0);
    onLoop(loop, () -> {
      server.listening.close();
      return null;
    });
    loop.stop();
    loop.join();
    loops.clear();
    Await.until(() -> {
      Set<String> left = new HashSet<>(ours);
      left.retainAll(descriptors());
      return left.isEmpty();
    }, "the transport's descriptors closed");
  }

  private static boolean isOneOf(String descriptor, EchoServer server) {
    int fd = Integer.parseInt(descriptor.substring(0, descriptor.indexOf("->")));
    return ((UringListening) server.listening).fd == fd
        || server.conduits.stream().anyMatch(conduit -> ((UringConduit) conduit).fd == fd);
  }

  /**
   * A reader that takes what arrives as the relay does: the buffer received into when the conduit
   * has one ({@link Conduit#takeReceived}, no copy), else a read into a buffer of its pool. Used on
   * the loop only; {@code atEnd} runs once {@code expected} bytes are in, the reader's buffer back.
   */
  private static final class Taker implements Readiness {
    final BufferPool pool = new BufferPool(64 * 1024, 4);
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final int expected;
    final ConduitAction atEnd;
    Conduit conduit;
    int taken;
    int heldAtEnd = -1;

    Taker(int expected, ConduitAction atEnd) {
      this.expected = expected;
      this.atEnd = atEnd;
    }

    @Override
    public void onReady(int readyOps) {
      try {
        while (conduit.isOpen()) {
          ByteBuffer buffer = conduit.takeReceived(pool);
          if (buffer != null) {
            taken++;
          } else {
            buffer = pool.acquire();
            if (conduit.read(buffer) <= 0) {
              pool.release(buffer);
              return;
            }
          }
          byte[] chunk = new byte[buffer.flip().remaining()];
          buffer.get(chunk);
          pool.release(buffer);
          bytes.write(chunk, 0, chunk.length);
          if (bytes.size() == expected && atEnd != null) {
            heldAtEnd = pool.outstanding();
            atEnd.run(conduit);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** A listen socket on the loop whose connection {@code taker} reads. */
  private static Listening serve(EventLoop loop, Taker taker) throws Exception {
    return serve(loop, LOOPBACK, conduit -> {
      taker.conduit = conduit;
      conduit.handler(taker);
      conduit.interestOps(Conduit.OP_READ);
    });
  }

  @Test
  void bulkIsReceivedIntoTheReadersBuffersTakenWithoutACopyAndAQuietConnectionHoldsNone() throws Exception {
    // 8 MiB through receive buffers of 4 KiB: the first ones come back full, so the connection is
    // received into the reader's 64 KiB buffers, which it takes whole; once it is quiet, the
    // receive waiting in one of them times out, the buffer goes back, and the buffer ring serves
    // the next bytes.
    EventLoop loop = loop(provider());
    UringTransport transport = onLoop(loop, () -> (UringTransport) loop.transport());
    byte[] payload = randomBytes(8 << 20, 21);
    Taker taker = new Taker(-1, null);
    Listening listening = serve(loop, taker);
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listening.localAddress().getPort())) {
      client.getOutputStream().write(payload);
      Await.until(() -> onLoopQuietly(loop, taker.bytes::size) == payload.length, "all of it received");
      assertThat(onLoop(loop, taker.bytes::toByteArray)).as("the bytes, in order").isEqualTo(payload);
      assertThat(onLoop(loop, () -> taker.taken)).as("buffers taken whole, no copy").isGreaterThan(16);
      Await.until(() -> onLoopQuietly(loop, taker.pool::outstanding) == 0, "the quiet connection's buffer back");
      assertThat(onLoop(loop, transport.buffers::available)).as("ring buffers back").isEqualTo(64);

      client.getOutputStream().write(new byte[] {1, 2, 3});
      Await.until(() -> onLoopQuietly(loop, taker.bytes::size) == payload.length + 3, "the next bytes received");
      assertThat(onLoop(loop, taker.pool::outstanding)).as("a few bytes: from the buffer ring, no buffer held")
          .isZero();
    }
  }

  @Test
  void aReaderThatStopsInBulkHoldsOnePooledBufferBesideItsOwn() throws Exception {
    // The reader keeps the first buffer it takes whole and stops reading while its client goes on
    // sending 4 MiB: the conduit receives into one more buffer and then waits (backpressure).
    EventLoop loop = loop(provider());
    BufferPool pool = new BufferPool(64 * 1024, 4);
    AtomicReference<Conduit> server = new AtomicReference<>();
    List<ByteBuffer> kept = new ArrayList<>();
    Listening listening = serve(loop, LOOPBACK, conduit -> {
      server.set(conduit);
      conduit.handler(ops -> {
        try {
          ByteBuffer taken = conduit.takeReceived(pool);
          if (taken != null) {
            kept.add(taken);
            conduit.interestOps(0);
            return;
          }
          ByteBuffer copy = pool.acquire();
          conduit.read(copy);
          pool.release(copy);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      conduit.interestOps(Conduit.OP_READ);
    });
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listening.localAddress().getPort())) {
      AtomicInteger sent = sendFourMiB(client);
      Await.until(() -> onLoopQuietly(loop, kept::size) == 1, "a buffer taken whole");
      Await.until(() -> sent.get() > 1024 * 1024, "1 MiB sent");
      int most = 0;
      for (int i = 0; i < 300; i++) {
        most = Math.max(most, onLoop(loop, pool::outstanding));
      }
      assertThat(most).as("pooled buffers held: the reader's and the one received into").isEqualTo(2);
    }
  }

  @Test
  void aCloseWhileAReceiveIntoAPooledBufferIsInFlightReleasesItsBufferOnce() throws Exception {
    endWhileAReceiveIntoAPooledBufferIsInFlight(Conduit::close);
  }

  @Test
  void aResetWhileAReceiveIntoAPooledBufferIsInFlightReleasesItsBufferOnce() throws Exception {
    endWhileAReceiveIntoAPooledBufferIsInFlight(Conduit::reset);
  }

  private void endWhileAReceiveIntoAPooledBufferIsInFlight(ConduitAction end) throws Exception {
    EventLoop loop = loop(provider());
    byte[] payload = randomBytes(1 << 20, 22);
    Taker taker = new Taker(payload.length, end);
    Listening listening = serve(loop, taker);
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listening.localAddress().getPort())) {
      client.getOutputStream().write(payload);
      Await.until(() -> onLoopQuietly(loop, () -> taker.heldAtEnd) >= 0, "all of it received, then the end");
      assertThat(onLoop(loop, () -> taker.heldAtEnd)).as("the buffer of the receive in flight").isEqualTo(1);
      UringConduit conduit = onLoop(loop, () -> (UringConduit) taker.conduit);
      Await.until(() -> onLoopQuietly(loop, () -> conduit.slot) < 0, "the receive and the close completed");
      assertThat(onLoop(loop, taker.pool::outstanding)).as("released exactly once").isZero();
    }
  }

  @Test
  void aConnectionNotReadHoldsABoundedNumberOfReceiveBuffers() throws Exception {
    // 256 buffers of 1 KiB; the handler reads once and then stops reading (backpressure), while its
    // client sends 4 MiB: the receive is cancelled and the rest waits in the kernel, not in buffers.
    // What the kernel received before the handler heard of it stays (bursts of 32 buffers).
    UringTransportProvider small = sized(64, 256, 1024, 4096);
    EventLoop loop = loop(small);
    Listening listening = small.listen(LOOPBACK, 16);
    AtomicReference<Conduit> server = new AtomicReference<>();
    onLoop(loop, () -> {
      listening.register(loop.transport(), readyOps -> {
        try {
          Accepted accepted = listening.accept();
          if (accepted != null) {
            server.set(loop.transport().adopt(accepted, Conduit.OP_READ, ops -> {
              try {
                server.get().read(ByteBuffer.allocate(100));
                server.get().interestOps(0);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            }));
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      return null;
    });
    UringTransport transport = onLoop(loop, () -> (UringTransport) loop.transport());
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listening.localAddress().getPort())) {
      AtomicInteger sent = sendFourMiB(client);
      Await.until(() -> sent.get() > 256 * 1024, "256 KiB sent");
      int least = 256;
      for (int i = 0; i < 300; i++) {
        least = Math.min(least, onLoop(loop, () -> transport.buffers.available()));
      }
      assertThat(least).as("receive buffers left to the loop at the lowest").isGreaterThanOrEqualTo(64);
    }
  }

  /** Sends 4 MiB to {@code client}'s peer off the test thread; the counter says how much is written so far. */
  private static AtomicInteger sendFourMiB(Socket client) {
    AtomicInteger sent = new AtomicInteger();
    CompletableFuture.runAsync(() -> {
      try {
        OutputStream out = client.getOutputStream();
        byte[] chunk = new byte[16 * 1024];
        for (int i = 0; i < 256; i++) {
          out.write(chunk);
          sent.addAndGet(chunk.length);
        }
      } catch (IOException e) {
        // the socket closes at the end of the test while this still blocks
      }
    }, clients);
    return sent;
  }

  @Test
  void aGracefulCloseWhosePeerNeverReadsEndsWithAResetAfterTheLinger() throws Exception {
    // 64 KiB written to a client that reads nothing, through socket buffers of a few KiB, then
    // closed gracefully: with a linger of 200 ms, what is still unsent is dropped with a reset and
    // the descriptor closed (without a bound, it would wait for the peer forever).
    UringTransportProvider lingering = new UringTransportProvider(64, 64, 4096, 64 * 1024, 200_000_000L, false);
    EventLoop loop = loop(lingering);
    try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      peer.setReceiveBufferSize(4096);
      CompletableFuture<String> closedDescriptor = new CompletableFuture<>();
      CompletableFuture<UringConduit> connected = connectWithASmallSendBuffer(loop, peer, c -> {
        closedDescriptor.complete(c.fd + "->" + Files.readSymbolicLink(Path.of("/proc/self/fd/" + c.fd)));
        assertThat(c.write(ByteBuffer.allocate(64 * 1024))).isEqualTo(64 * 1024);
        c.close();
      });
      try (Socket reader = peer.accept()) {
        connected.get(10, TimeUnit.SECONDS);
        String descriptor = closedDescriptor.get(10, TimeUnit.SECONDS);
        Await.until(() -> !descriptors().contains(descriptor), "the lingering conduit's descriptor closed");
        reader.setSoTimeout(10_000);
        assertThatThrownBy(() -> reader.getInputStream().readAllBytes()).hasMessageContaining("reset");
      }
    }
  }

  @Test
  void aHalfCloseNeverReachesTheNextConnectionOnTheSameDescriptorNumber() throws Exception {
    // Each connection gets "hello", a FIN (shutdownOutput) and a close, all at once; with clients
    // connecting all the time, a closed connection's descriptor number is soon another's, which a
    // FIN still on its way to the first must not reach.
    EventLoop loop = loop(provider());
    Listening listening = serve(loop, LOOPBACK, conduit -> {
      conduit.write(ByteBuffer.wrap("hello".getBytes()));
      conduit.shutdownOutput();
      conduit.close();
    });
    List<CompletableFuture<Void>> runs = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      runs.add(CompletableFuture.runAsync(() -> {
        for (int i = 0; i < 300; i++) {
          try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listening.localAddress().getPort())) {
            client.setSoTimeout(10_000);
            assertThat(new String(client.getInputStream().readAllBytes())).as("connection " + i).isEqualTo("hello");
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }, clients));
    }
    for (CompletableFuture<Void> run : runs) {
      run.get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void aKernelWithoutIoUringIsReportedWithTheReason() {
    assertThatThrownBy(() -> new UringTransportProvider(64, 64, 4096, 4096, 0, true))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessage("simulated by " + UringTransportProvider.SIMULATE_UNAVAILABLE);
  }

  @Test
  void withoutIoUringAutoFallsBackToNioAndIoUringFailsSayingWhy() throws IOException {
    if (System.getProperty(Transports.AUTO_PROPERTY) == null) {
      assertThat(Transports.provider(IoTransport.AUTO).name()).as("AUTO where io_uring runs").isEqualTo("io_uring");
    }
    String previous = System.setProperty(UringTransportProvider.SIMULATE_UNAVAILABLE, "true");
    try {
      assertThatThrownBy(UringTransportProvider::new).isInstanceOf(UnsupportedOperationException.class);
      if (System.getProperty(Transports.AUTO_PROPERTY) == null) {
        assertThat(Transports.provider(IoTransport.AUTO).name()).isEqualTo("nio");
      }
      assertThatThrownBy(() -> Transports.provider(IoTransport.IO_URING))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("simulated by " + UringTransportProvider.SIMULATE_UNAVAILABLE);
    } finally {
      if (previous == null) {
        System.clearProperty(UringTransportProvider.SIMULATE_UNAVAILABLE);
      } else {
        System.setProperty(UringTransportProvider.SIMULATE_UNAVAILABLE, previous);
      }
    }
  }

  interface ConnectedAction {
    void run(UringConduit conduit) throws Throwable;
  }

  /**
   * Connects a conduit on the loop to {@code peer}, interested in nothing, with a send buffer of 4
   * KiB, and runs {@code action} on it once connected; completes with the conduit, or what failed.
   */
  private static CompletableFuture<UringConduit> connectWithASmallSendBuffer(EventLoop loop, ServerSocket peer,
      ConnectedAction action) throws Exception {
    CompletableFuture<UringConduit> connected = new CompletableFuture<>();
    onLoop(loop, () -> {
      AtomicReference<Conduit> conduit = new AtomicReference<>();
      conduit.set(loop.transport().connect(peer.getLocalSocketAddress(), readyOps -> {
        try {
          UringConduit c = (UringConduit) conduit.get();
          if (c.finishConnect()) {
            c.interestOps(0);
            setSendBuffer(c.fd, 4096);
            action.run(c);
            connected.complete(c);
          }
        } catch (Throwable e) {
          connected.completeExceptionally(e);
        }
      }));
      return null;
    });
    return connected;
  }

  /** setsockopt(SO_SNDBUF) of a descriptor of this process. */
  private static void setSendBuffer(int fd, int bytes) throws Throwable {
    Linker linker = Linker.nativeLinker();
    MethodHandle setsockopt = linker.downcallHandle(linker.defaultLookup().find("setsockopt").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment value = arena.allocate(JAVA_INT);
      value.set(JAVA_INT, 0, bytes);
      int result = (int) setsockopt.invokeExact(fd, 1, 7, value, 4); // SOL_SOCKET, SO_SNDBUF
      assertThat(result).isZero();
    }
  }

  /** getsockopt(TCP_NODELAY) of a descriptor of this process. */
  private static boolean tcpNoDelay(int fd) throws Throwable {
    Linker linker = Linker.nativeLinker();
    MethodHandle getsockopt = linker.downcallHandle(linker.defaultLookup().find("getsockopt").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment value = arena.allocate(JAVA_INT);
      MemorySegment length = arena.allocate(JAVA_INT);
      length.set(JAVA_INT, 0, 4);
      int result = (int) getsockopt.invokeExact(fd, 6, 1, value, length); // IPPROTO_TCP, TCP_NODELAY
      assertThat(result).isZero();
      return value.get(JAVA_INT, 0) != 0;
    }
  }

  /** Every open descriptor as "number->target". */
  private static Set<String> descriptors() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.map(fd -> {
        try {
          return fd.getFileName() + "->" + Files.readSymbolicLink(fd);
        } catch (IOException e) {
          return fd.getFileName() + "->gone";
        }
      }).collect(Collectors.toSet());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
