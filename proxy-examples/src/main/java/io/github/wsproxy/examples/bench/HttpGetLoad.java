package io.github.wsproxy.examples.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A closed-loop plain HTTP load: exactly {@code connections} keep-alive HTTP/1.1 connections, one
 * NIO thread (the caller's), each sending {@code GET path} again as soon as the previous response
 * is complete. Every response must be a 200 with {@code expectedBodyBytes}. Measures requests per
 * second and the proxy's CPU time per request; the run ends on time whatever the proxy does.
 */
final class HttpGetLoad {

  /**
   * What one measured run produced.
   *
   * @param cpuSeconds CPU time the measured process spent during the run (0 without a process)
   */
  record Result(long requests, double seconds, double cpuSeconds) {
    double requestsPerSecond() {
      return requests / seconds;
    }

    double cpuMicrosPerRequest() {
      return cpuSeconds * 1e6 / requests;
    }
  }

  private final InetSocketAddress address;
  private final int connections;
  private final byte[] request;
  private final long expectedBodyBytes;
  private long completed;

  HttpGetLoad(URI target, int connections, String path, long expectedBodyBytes) {
    this.address = address(target);
    this.connections = connections;
    this.request = ("GET " + path + " HTTP/1.1\r\nHost: " + target.getHost() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    this.expectedBodyBytes = expectedBodyBytes;
  }

  /** The host and port of a ws://, wss:// or http:// URL; plain connections only. */
  static InetSocketAddress address(URI target) {
    if ("wss".equals(target.getScheme()) || "https".equals(target.getScheme())) {
      throw new IllegalArgumentException("the HTTP scenarios speak plain HTTP only, not to " + target);
    }
    return new InetSocketAddress(target.getHost(), target.getPort() > 0 ? target.getPort() : 80);
  }

  /**
   * Opens the connections, runs {@code warmupSeconds}, then measures for {@code seconds}, reading
   * {@code cpuTicks} at both ends of the measured interval; closes everything.
   */
  Result run(double warmupSeconds, double seconds, LongSupplier cpuTicks) throws IOException {
    List<SocketChannel> channels = new ArrayList<>(connections);
    try (Selector selector = Selector.open()) {
      for (int i = 0; i < connections; i++) {
        SocketChannel channel = SocketChannel.open(address);
        channels.add(channel);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.configureBlocking(false);
        Connection connection = new Connection(channel);
        channel.register(selector, SelectionKey.OP_READ, connection);
        connection.send();
      }
      long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
      long end = warmupEnd + (long) (seconds * 1e9);
      select(selector, warmupEnd);
      long cpuBefore = cpuTicks.getAsLong();
      long before = completed;
      long start = System.nanoTime();
      select(selector, end);
      double elapsed = (System.nanoTime() - start) / 1e9;
      double cpu = (cpuTicks.getAsLong() - cpuBefore) / (double) ProcStats.TICKS_PER_SECOND;
      return new Result(completed - before, elapsed, cpu);
    } finally {
      for (SocketChannel channel : channels) {
        channel.close();
      }
    }
  }

  private void select(Selector selector, long until) throws IOException {
    for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
      selector.select(key -> ((Connection) key.attachment()).onReadable(), Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
    }
  }

  private final class Connection {
    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
    private final HttpReader reader = new HttpReader();

    Connection(SocketChannel channel) {
      this.channel = channel;
    }

    void send() {
      try {
        ByteBuffer out = ByteBuffer.wrap(request);
        channel.write(out);
        if (out.hasRemaining()) {
          throw new IllegalStateException("a " + request.length + "-byte request did not fit the socket buffer");
        }
      } catch (IOException e) {
        throw new IllegalStateException("sending to " + address + " failed", e);
      }
    }

    void onReadable() {
      try {
        if (channel.read(in) < 0) {
          throw new IllegalStateException(address + " closed a keep-alive connection");
        }
      } catch (IOException e) {
        throw new IllegalStateException("reading from " + address + " failed", e);
      }
      in.flip();
      while (reader.read(in)) {
        if (reader.status() != 200 || reader.bodyBytes() != expectedBodyBytes) {
          throw new IllegalStateException("unexpected response from " + address + ": " + reader.startLine() + " with "
              + reader.bodyBytes() + " body bytes");
        }
        completed++;
        send();
      }
      in.compact();
    }
  }
}
