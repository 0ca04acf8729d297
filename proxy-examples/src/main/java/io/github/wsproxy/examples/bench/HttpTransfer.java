package io.github.wsproxy.examples.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One large HTTP body through a proxy on one connection: an upload ({@code POST /sink} with a
 * {@code Content-Length} body of zeros) or a download ({@code GET /bytes?n=N}), checked for its
 * status and length. Measures MB/s and the growth of the proxy's RSS over its figure before the
 * transfer (sampled every 20 ms). A transfer taking longer than 30 s plus 10 s per GB is aborted.
 */
final class HttpTransfer {

  /** The transfer's figures. */
  record Result(long bytes, double seconds, long rssGrowthKib) {
    double megabytesPerSecond() {
      return bytes / seconds / 1e6;
    }

    double rssGrowthMib() {
      return rssGrowthKib / 1024.0;
    }
  }

  private static final int CHUNK = 256 * 1024;

  private final URI target;
  private final long bytes;

  HttpTransfer(URI target, long bytes) {
    this.target = target;
    this.bytes = bytes;
  }

  /** Uploads, watching process {@code pid} (and its descendants; 0: none). */
  Result upload(long pid) throws IOException {
    return transfer(pid, true);
  }

  /** Downloads, watching process {@code pid} (and its descendants; 0: none). */
  Result download(long pid) throws IOException {
    return transfer(pid, false);
  }

  private Result transfer(long pid, boolean upload) throws IOException {
    InetSocketAddress address = HttpGetLoad.address(target);
    String head = upload
        ? "POST /sink HTTP/1.1\r\nHost: " + target.getHost() + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + bytes + "\r\n\r\n"
        : "GET /bytes?n=" + bytes + " HTTP/1.1\r\nHost: " + target.getHost() + "\r\n\r\n";
    long rssBefore = pid > 0 ? ProcStats.of(pid).rssKib() : 0;
    AtomicLong rssMax = new AtomicLong(rssBefore);
    ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "transfer-watch");
      thread.setDaemon(true);
      return thread;
    });
    try (SocketChannel channel = SocketChannel.open(address)) {
      if (pid > 0) {
        watch.scheduleAtFixedRate(() -> rssMax.accumulateAndGet(ProcStats.of(pid).rssKib(), Math::max), 0, 20, TimeUnit.MILLISECONDS);
      }
      long limitSeconds = 30 + bytes / 100_000_000;
      watch.schedule(() -> {
        try {
          channel.close(); // unblocks the transfer with an AsynchronousCloseException
        } catch (IOException ignored) {
          // closing anyway
        }
      }, limitSeconds, TimeUnit.SECONDS);
      long start = System.nanoTime();
      writeFully(channel, ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
      for (long left = upload ? bytes : 0; left > 0; left -= CHUNK) {
        buffer.clear().limit((int) Math.min(CHUNK, left));
        writeFully(channel, buffer);
      }
      HttpReader reader = new HttpReader();
      buffer.clear();
      while (true) {
        if (channel.read(buffer) < 0) {
          throw new IOException(address + " closed the connection before the end of the response");
        }
        buffer.flip();
        if (reader.read(buffer)) {
          break;
        }
        buffer.compact();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (reader.status() != 200 || !upload && reader.bodyBytes() != bytes) {
        throw new IOException("unexpected response from " + address + ": " + reader.startLine() + " with " + reader.bodyBytes() + " body bytes");
      }
      watch.shutdownNow();
      watch.awaitTermination(5, TimeUnit.SECONDS);
      return new Result(bytes, seconds, pid > 0 ? Math.max(0, rssMax.get() - rssBefore) : 0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      watch.shutdownNow();
    }
  }

  private static void writeFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }
}
