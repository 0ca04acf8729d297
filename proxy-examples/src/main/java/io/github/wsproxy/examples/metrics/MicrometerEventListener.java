package io.github.wsproxy.examples.metrics;

import io.github.wsproxy.CloseInfo;
import io.github.wsproxy.HandshakeOutcome;
import io.github.wsproxy.HttpExchangeOutcome;
import io.github.wsproxy.ProxyEventListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Maps a {@link io.github.wsproxy.WsProxy}'s events onto Micrometer meters, per upstream server:
 *
 * <ul>
 *   <li>{@code wsproxy.handshakes} (counter; tags {@code status}, {@code outcome} = 101/4xx/5xx,
 *       {@code upstream})
 *   <li>{@code wsproxy.handshake} (timer with histogram: the client's request to its response)
 *   <li>{@code wsproxy.upstream.connect} (timer with histogram: TCP connect to the upstream)
 *   <li>{@code wsproxy.connections.active} (gauge per upstream)
 *   <li>{@code wsproxy.messages}, {@code wsproxy.bytes} (counters; tag {@code direction} =
 *       client_to_upstream / upstream_to_client)
 *   <li>{@code wsproxy.closes} (counter; tags {@code side} = client/upstream, {@code code},
 *       {@code closed_by})
 *   <li>{@code wsproxy.http.requests} (counter of plain HTTP requests; tags {@code status}, {@code
 *       outcome} = 2xx/3xx/4xx/5xx, {@code upstream}), {@code wsproxy.http.request} (timer with
 *       histogram: the request to the end of its response); their bytes count in {@code
 *       wsproxy.bytes}
 * </ul>
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * WsProxy proxy = WsProxy.builder().upstream("ws://127.0.0.1:8282")
 *     .eventListener(new MicrometerEventListener(registry)).build();
 * }</pre>
 */
public class MicrometerEventListener extends ProxyEventListener {
  private static final String NONE = "none";

  private final MeterRegistry registry;
  private final Map<String, AtomicLong> active = new ConcurrentHashMap<>();

  public MicrometerEventListener(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void onHandshake(HandshakeOutcome outcome) {
    String upstream = name(outcome.upstream());
    String outcomeClass = outcome.status() == 101 ? "101" : outcome.status() / 100 + "xx";
    Counter.builder("wsproxy.handshakes").description("Handshakes by the status the client got")
        .tags("status", Integer.toString(outcome.status()), "outcome", outcomeClass, "upstream", upstream)
        .register(registry).increment();
    Timer.builder("wsproxy.handshake").description("From the client's request to its response")
        .tags("outcome", outcomeClass, "upstream", upstream).publishPercentileHistogram()
        .register(registry).record(outcome.handshakeTime());
    if (outcome.connectTime() != null) {
      Timer.builder("wsproxy.upstream.connect").description("TCP connect to the upstream server")
          .tags("upstream", upstream).publishPercentileHistogram()
          .register(registry).record(outcome.connectTime());
    }
    if (outcome.status() == 101) {
      activeConnections(upstream).incrementAndGet();
    }
  }

  @Override
  public void onHttpExchange(HttpExchangeOutcome outcome) {
    String upstream = name(outcome.upstream());
    String outcomeClass = outcome.status() == 0 ? NONE : outcome.status() / 100 + "xx";
    Counter.builder("wsproxy.http.requests").description("Plain HTTP requests by the status the client got")
        .tags("status", Integer.toString(outcome.status()), "outcome", outcomeClass, "upstream", upstream)
        .register(registry).increment();
    Timer.builder("wsproxy.http.request").description("From a plain HTTP request to the end of its response")
        .tags("outcome", outcomeClass, "upstream", upstream).publishPercentileHistogram()
        .register(registry).record(outcome.duration());
    count("wsproxy.bytes", "client_to_upstream", upstream, outcome.bytesFromClient());
    count("wsproxy.bytes", "upstream_to_client", upstream, outcome.bytesToClient());
  }

  @Override
  public void onTraffic(URI upstream, long bytesFromClient, long messagesFromClient, long bytesFromUpstream,
      long messagesFromUpstream) {
    String server = name(upstream);
    count("wsproxy.messages", "client_to_upstream", server, messagesFromClient);
    count("wsproxy.messages", "upstream_to_client", server, messagesFromUpstream);
    count("wsproxy.bytes", "client_to_upstream", server, bytesFromClient);
    count("wsproxy.bytes", "upstream_to_client", server, bytesFromUpstream);
  }

  @Override
  public void onClose(URI upstream, CloseInfo info) {
    String server = name(upstream);
    activeConnections(server).decrementAndGet();
    closed("client", info.clientCode(), info, server);
    closed("upstream", info.upstreamCode(), info, server);
  }

  private void closed(String side, int code, CloseInfo info, String server) {
    Counter.builder("wsproxy.closes").description("Close codes each side sent (1006: it vanished)")
        .tags("side", side, "code", code < 0 ? NONE : Integer.toString(code),
            "closed_by", info.closedBy().name().toLowerCase(Locale.ROOT), "upstream", server)
        .register(registry).increment();
  }

  private void count(String name, String direction, String server, long amount) {
    if (amount > 0) {
      Counter.builder(name).tags("direction", direction, "upstream", server).register(registry).increment(amount);
    }
  }

  private AtomicLong activeConnections(String server) {
    return active.computeIfAbsent(server, key -> {
      AtomicLong gauge = new AtomicLong();
      Gauge.builder("wsproxy.connections.active", gauge, AtomicLong::get)
          .description("Open proxied connections").tags("upstream", key).register(registry);
      return gauge;
    });
  }

  private static String name(URI upstream) {
    return upstream == null ? NONE : upstream.getAuthority();
  }
}
