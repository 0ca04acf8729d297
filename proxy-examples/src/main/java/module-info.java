/**
 * WsProxy's examples: the reusable interceptors ({@code io.github.wsproxy.examples.interceptors})
 * and the Micrometer adapter with its HTTP endpoints ({@code io.github.wsproxy.examples.metrics})
 * are exported; the launcher, the chat demo and the bench tool are run from the launcher jar, not
 * used as API. Every third-party module but SLF4J's API is optional: the Json* interceptors need
 * Jackson, the metrics package Micrometer, the launcher's demo upstreams Java-WebSocket and the
 * test fixtures' write-safe server. No SLF4J binding comes with it: without one nothing is logged,
 * not even the access log.
 */
@SuppressWarnings("requires-transitive-automatic")
module io.github.wsproxy.examples {
  requires transitive io.github.wsproxy;
  requires org.slf4j;
  requires java.net.http;
  requires jdk.httpserver;
  requires jdk.jfr;
  requires jdk.unsupported;
  requires static com.fasterxml.jackson.databind;
  requires static transitive micrometer.core;
  requires static transitive micrometer.registry.prometheus;
  requires static org.java_websocket;
  requires static io.github.wsproxy.testing;

  exports io.github.wsproxy.examples.interceptors;
  exports io.github.wsproxy.examples.metrics;
}
