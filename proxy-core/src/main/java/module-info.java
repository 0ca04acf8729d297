/**
 * WsProxy, a WebSocket reverse proxy on plain JDK NIO. The API is the package {@code
 * io.github.wsproxy}; the implementation packages under {@code io.github.wsproxy.internal} are not
 * exported. Logging goes through SLF4J: with no SLF4J binding on the path nothing is logged, not
 * even the access log. The native TLS engine (Netty's OpenSSL engine on netty-tcnative, modules {@code
 * io.netty.handler} and its own) is optional: on the module path it is used once resolved ({@code
 * --add-modules io.netty.handler}), else the JDK's.
 */
module io.github.wsproxy {
  requires org.slf4j;
  requires static io.netty.handler;
  requires static io.netty.buffer;
  requires static io.netty.common;

  exports io.github.wsproxy;
}
