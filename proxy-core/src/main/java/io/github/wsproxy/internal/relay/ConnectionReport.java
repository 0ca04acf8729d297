package io.github.wsproxy.internal.relay;

import io.github.wsproxy.CloseInfo;
import io.github.wsproxy.ConnectionSnapshot;
import io.github.wsproxy.HandshakeOutcome;
import io.github.wsproxy.HttpExchangeOutcome;
import io.github.wsproxy.internal.frame.WebSocketProtocol;
import io.github.wsproxy.internal.intercept.Direction;
import io.github.wsproxy.internal.upstream.UpstreamSelection;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What one connection tells the world: the access log line, the event listener's handshake,
 * traffic and close events, the admin view's snapshot, and the MDC keys its log lines carry. The
 * phases record here what happened (status, note, who closed, close codes, the upstream tried).
 *
 * <p>Traffic is four counts, as {@link Events#traffic} takes them: bytes and messages from the
 * client, then bytes and messages from the upstream.
 */
final class ConnectionReport {
  private static final Logger accessLog = LoggerFactory.getLogger("io.github.wsproxy.access");
  /** MDC key: the connection's id, as {@code conn=} in the access log. */
  static final String MDC_CONNECTION = "wsproxy.conn";
  /** MDC key: the client's address. */
  static final String MDC_CLIENT = "wsproxy.client";
  /** MDC key: the upstream server's address, or {@code -}. */
  static final String MDC_UPSTREAM = "wsproxy.upstream";

  private final long id;
  private final InetSocketAddress clientAddress;
  private final Events events;
  private final long startNanos = System.nanoTime();
  /** Method and target of the request (for the log and the admin view), null before it was read. */
  private String requestMethod;
  private String requestTarget;
  private long requestNanos;
  private String routeName;
  /** The access log's TLS fields of the client leg ({@code tls=... client_cert="..."}), empty without TLS. */
  private String clientTls = "";
  private int status;
  private String note = "";
  private CloseInfo.Initiator closedBy;
  private int clientCloseCode = -1;
  private int upstreamCloseCode = -1;
  /** The upstream server tried last (the one serving the connection once open); null before. */
  private URI upstreamUrl;
  private SocketAddress upstreamAddress;
  private Duration connectTime;
  private boolean outcomeReported;
  /** Plain HTTP exchanges completed on this connection (each logged by itself). */
  private int exchanges;
  /** Whether the request being handled is a plain HTTP request, and the bytes its exchange relayed. */
  private boolean plain;
  private long exchangeBytesUp;
  private long exchangeBytesDown;
  /** When the request being handled arrived: the connection's start for its first. */
  private long exchangeStartNanos = startNanos;
  /** Traffic already reported to the event listener. */
  private final long[] reportedTraffic = new long[4];

  ConnectionReport(long id, InetSocketAddress clientAddress, Events events) {
    this.id = id;
    this.clientAddress = clientAddress;
    this.events = events;
  }

  long startNanos() {
    return startNanos;
  }

  /** The client's request head was read. */
  void requestRead(String method, String target) {
    requestMethod = method;
    requestTarget = target;
    requestNanos = System.nanoTime();
    plain = false;
    if (exchanges > 0) {
      exchangeStartNanos = requestNanos;
    }
  }

  /** The request being handled is a plain HTTP request: it gets an exchange's log line and event. */
  void plainRequest() {
    plain = true;
    exchangeBytesUp = 0;
    exchangeBytesDown = 0;
  }

  /** A plain HTTP exchange relayed these bytes more: request body upstream, response to the client. */
  void exchangeTraffic(long up, long down) {
    exchangeBytesUp += up;
    exchangeBytesDown += down;
  }

  void route(String name) {
    routeName = name;
  }

  /**
   * The client's TLS handshake is complete: the access log names the protocol and, when the client
   * presented one (mTLS), its certificate's subject.
   */
  void clientTls(String protocol, X509Certificate certificate) {
    clientTls = " tls=" + protocol
        + (certificate == null ? "" : " client_cert=\"" + certificate.getSubjectX500Principal().getName() + '"');
  }

  /** The HTTP status the client got (101 once switched); 0 before. */
  void status(int code) {
    status = code;
  }

  int status() {
    return status;
  }

  /** Why the connection ended (or what went wrong), replacing what was said before. */
  void note(String text) {
    note = text;
  }

  /** Sets the note unless one was set before. */
  void noteIfNone(String text) {
    if (note.isEmpty()) {
      note = text;
    }
  }

  /** Adds to the note. */
  void appendNote(String text) {
    note = note + (note.isEmpty() ? "" : "; ") + text;
  }

  /** The close was started by this side, unless another started it first. */
  void initiatedBy(CloseInfo.Initiator initiator) {
    if (closedBy == null) {
      closedBy = initiator;
    }
  }

  /** The close was started by the side this direction comes from, unless another started it first. */
  void initiatedBy(Direction from) {
    initiatedBy(from.fromClient() ? CloseInfo.Initiator.CLIENT : CloseInfo.Initiator.UPSTREAM);
  }

  /** The proxy ends the connection itself, whoever started closing before. */
  void endedByProxy() {
    closedBy = CloseInfo.Initiator.PROXY;
  }

  /** A close frame with this code came from the side {@code from} starts at. */
  void closeCode(Direction from, int code) {
    if (from.fromClient()) {
      clientCloseCode = code;
    } else {
      upstreamCloseCode = code;
    }
  }

  /** The side {@code from} starts at went away without a close frame (unless it sent one before). */
  void abnormalCloseIfNone(Direction from) {
    if (from.fromClient()) {
      clientCloseCode = clientCloseCode < 0 ? WebSocketProtocol.CLOSE_ABNORMAL : clientCloseCode;
    } else {
      upstreamCloseCode = upstreamCloseCode < 0 ? WebSocketProtocol.CLOSE_ABNORMAL : upstreamCloseCode;
    }
  }

  /** The proxy cut the side {@code from} starts at off. */
  void abnormalClose(Direction from) {
    closeCode(from, WebSocketProtocol.CLOSE_ABNORMAL);
  }

  /** The upstream server being tried. */
  void tryingServer(URI url) {
    upstreamUrl = url;
  }

  /** The address the upstream leg connects to, null between tries. */
  void upstreamAddress(SocketAddress address) {
    upstreamAddress = address;
  }

  void connected(Duration took) {
    connectTime = took;
  }

  /** Tells the event listener how the handshake ended, once. */
  void reportOutcome(boolean opened) {
    if (outcomeReported || plain) {
      return;
    }
    outcomeReported = true;
    events.handshake(new HandshakeOutcome(id, clientAddress, requestTarget,
        status == 0 ? (opened ? 101 : 500) : status, upstreamUrl, connectTime,
        requestNanos == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - requestNanos)));
  }

  /** Tells the event listener the traffic not reported yet and how the connection closed. */
  CloseInfo reportClose(long[] traffic) {
    CloseInfo info = new CloseInfo(closedBy == null ? CloseInfo.Initiator.PROXY : closedBy,
        clientCloseCode, upstreamCloseCode, note, traffic[0], traffic[1], traffic[2], traffic[3],
        Duration.ofNanos(System.nanoTime() - startNanos));
    long[] rest = new long[4];
    if (sinceLastReport(traffic, rest)) {
      events.traffic(upstreamUrl, rest);
    }
    events.close(upstreamUrl, info);
    return info;
  }

  /** Adds the traffic since the last report to its server's sum. */
  void collectTraffic(long[] traffic, Map<URI, long[]> perServer) {
    long[] delta = new long[4];
    if (sinceLastReport(traffic, delta)) {
      long[] sum = perServer.computeIfAbsent(upstreamUrl, url -> new long[4]);
      for (int i = 0; i < 4; i++) {
        sum[i] += delta[i];
      }
    }
  }

  /** Fills {@code delta} with the traffic since the last report and marks it reported; false if none. */
  private boolean sinceLastReport(long[] traffic, long[] delta) {
    boolean any = false;
    for (int i = 0; i < 4; i++) {
      delta[i] = traffic[i] - reportedTraffic[i];
      reportedTraffic[i] = traffic[i];
      any |= delta[i] != 0;
    }
    return any;
  }

  /** What the connection looks like now, for the admin view. */
  ConnectionSnapshot snapshot(long now, String phase, long[] traffic) {
    return new ConnectionSnapshot(id, clientAddress, requestTarget, upstreamUrl, phase,
        Duration.ofNanos(now - startNanos), traffic[0], traffic[1], traffic[2], traffic[3]);
  }

  /**
   * A plain HTTP exchange ended (completely, with an error, or cut off): its access log line is
   * written, the listener hears of it, and the report is ready for the connection's next request
   * (the connection's own line is left out unless one comes).
   */
  void exchangeDone(UpstreamSelection upstreams) {
    long nanos = System.nanoTime() - exchangeStartNanos;
    int tries = upstreams == null ? 0 : upstreams.tries();
    if (accessLog.isInfoEnabled()) {
      accessLog.info("conn={} client={} request=\"{} {}\" upstream={} status={} duration={}ms up={}B down={}B"
              + " http tries={} note=\"{}\"{}{}{}",
          id, address(clientAddress), requestMethod, requestTarget,
          upstreamAddress == null ? "-" : address(upstreamAddress), status == 0 ? "-" : status, nanos / 1_000_000,
          exchangeBytesUp, exchangeBytesDown, tries, note,
          upstreams == null || upstreams.failures().isEmpty() ? "" : " failed=\"" + upstreams.failures() + '"',
          routeName == null || routeName.isEmpty() ? "" : " route=" + routeName, clientTls);
    }
    events.httpExchange(new HttpExchangeOutcome(id, clientAddress, requestMethod, requestTarget, status,
        upstreamUrl, exchangeBytesUp, exchangeBytesDown, tries, Duration.ofNanos(nanos)));
    exchanges++;
    plain = false;
    requestMethod = null;
    requestTarget = null;
    routeName = null;
    status = 0;
    note = "";
    upstreamUrl = null;
    upstreamAddress = null;
    connectTime = null;
  }

  /** Writes the access log line. */
  void logAccess(long[] traffic, UpstreamSelection upstreams) {
    if (plain) {
      exchangeDone(upstreams);
      return;
    }
    if (!accessLog.isInfoEnabled() || (requestTarget == null && exchanges > 0)) {
      return; // a kept-alive connection ended between requests: each had its line
    }
    long millis = (System.nanoTime() - exchangeStartNanos) / 1_000_000;
    String target = requestTarget == null ? "-" : '"' + requestMethod + ' ' + requestTarget + '"';
    accessLog.info("conn={} client={} request={} upstream={} status={} duration={}ms "
            + "up={}B/{}msg down={}B/{}msg close=client:{},upstream:{} note=\"{}\"{}{}{}",
        id, address(clientAddress), target, upstreamAddress == null ? "-" : address(upstreamAddress),
        status == 0 ? "-" : status, millis, traffic[0], traffic[1], traffic[2], traffic[3],
        code(clientCloseCode), code(upstreamCloseCode), note,
        upstreams == null || upstreams.failures().isEmpty() ? ""
            : " tries=" + upstreams.tries() + " failed=\"" + upstreams.failures() + '"',
        routeName == null || routeName.isEmpty() ? "" : " route=" + routeName, clientTls);
  }

  /** Sets the MDC keys that log lines of interceptors (and of the proxy) carry while they run. */
  void enterMdc() {
    MDC.put(MDC_CONNECTION, Long.toString(id));
    MDC.put(MDC_CLIENT, address(clientAddress));
    MDC.put(MDC_UPSTREAM, upstreamAddress == null ? "-" : address(upstreamAddress));
  }

  static void leaveMdc() {
    MDC.remove(MDC_CONNECTION);
    MDC.remove(MDC_CLIENT);
    MDC.remove(MDC_UPSTREAM);
  }

  private static String code(int code) {
    return code < 0 ? "-" : Integer.toString(code);
  }

  private static String address(SocketAddress address) {
    return address instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() + ":" + inet.getPort()
        : "unix:" + ((UnixDomainSocketAddress) address).getPath();
  }
}
