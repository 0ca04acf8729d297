package io.github.wsproxy;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

/**
 * How one plain HTTP request (a request without an upgrade, see {@link
 * WsProxy.Builder#plainHttp(boolean)}) ended, given to {@link ProxyEventListener#onHttpExchange}.
 *
 * @param connectionId the client connection's number, as in the access log; several requests of a
 *     kept-alive connection share it
 * @param client the client's address
 * @param method the request method
 * @param target the request target the client asked for
 * @param status the HTTP status the client got (from the upstream, an interceptor or the proxy);
 *     0 when the connection ended before any
 * @param upstream the upstream server last tried, or null when none was
 * @param bytesFromClient bytes of the request body relayed upstream
 * @param bytesToClient bytes of the response (head and body) relayed to the client
 * @param attempts upstream servers tried
 * @param duration from the client's request to the end of the response
 */
public record HttpExchangeOutcome(
    long connectionId,
    InetSocketAddress client,
    String method,
    String target,
    int status,
    URI upstream,
    long bytesFromClient,
    long bytesToClient,
    int attempts,
    Duration duration) {}
