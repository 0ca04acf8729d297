package io.github.wsproxy;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

/**
 * How a handshake ended, given to {@link ProxyEventListener#onHandshake}.
 *
 * @param connectionId the connection's number, as in the access log
 * @param client the client's address
 * @param target the request target the client asked for, or null when no request was read
 * @param status 101, or the HTTP status the client got
 * @param upstream the upstream server last tried, or null when none was
 * @param connectTime the TCP connect to that server (TLS included), or null when it did not complete
 * @param handshakeTime from the client's complete request to the response the client got
 */
public record HandshakeOutcome(
    long connectionId,
    InetSocketAddress client,
    String target,
    int status,
    URI upstream,
    Duration connectTime,
    Duration handshakeTime) {}
