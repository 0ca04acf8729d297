package io.github.wsproxy.examples;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code --client URL}: a line-based WebSocket console (the JDK's client). Each stdin line is sent
 * as a text message, each message received is printed; end of input closes with 1000.
 */
final class ConsoleClient {
  /** A refusal's body longer than this is left out: the status says enough. */
  private static final int MAX_BODY_SHOWN = 200;

  private ConsoleClient() {}

  static int run(String url, InputStream in, PrintStream out, PrintStream err) {
    CompletableFuture<Void> closed = new CompletableFuture<>();
    WebSocket socket;
    try {
      socket = HttpClient.newHttpClient().newWebSocketBuilder()
          .buildAsync(URI.create(url), new Printer(out, closed)).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      err.println("wsproxy: --client: cannot connect to " + url + ": " + refusal(e.getCause()));
      return 1;
    } catch (Exception e) {
      err.println("wsproxy: --client: cannot connect to " + url + ": " + e.getMessage());
      return 1;
    }
    err.println("connected to " + url + "; type lines to send, Ctrl-D to quit");
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null && !closed.isDone()) {
        socket.sendText(line, true).get(10, TimeUnit.SECONDS);
      }
      if (!socket.isOutputClosed()) {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
      }
      closed.get(10, TimeUnit.SECONDS);
      return 0;
    } catch (Exception e) {
      err.println("wsproxy: --client: " + e.getMessage());
      socket.abort();
      return 1;
    }
  }

  /** The server's answer to a refused handshake (status, and the body when short), else the error. */
  static String refusal(Throwable error) {
    if (error instanceof WebSocketHandshakeException refused) {
      HttpResponse<?> response = refused.getResponse();
      String body = response.body() instanceof String text ? text.strip() : "";
      return "HTTP " + response.statusCode() + (body.isEmpty() || body.length() > MAX_BODY_SHOWN ? "" : " " + body);
    }
    return String.valueOf(error);
  }

  private static final class Printer implements WebSocket.Listener {
    private final PrintStream out;
    private final CompletableFuture<Void> closed;
    private final StringBuilder text = new StringBuilder();

    Printer(PrintStream out, CompletableFuture<Void> closed) {
      this.out = out;
      this.closed = closed;
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        out.println(text);
        text.setLength(0);
      }
      socket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
      out.println("[binary " + data.remaining() + " bytes]");
      socket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int code, String reason) {
      out.println("[closed " + code + (reason.isEmpty() ? "" : " " + reason) + "]");
      closed.complete(null);
      return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
      out.println("[error " + error + "]");
      closed.complete(null);
    }
  }
}
