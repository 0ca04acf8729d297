/**
 * Test fixtures for WsProxy and for applications that embed it: WebSocket peers that record
 * everything they see, byte-precise raw peers for hostile tests, and a JUnit 5 extension.
 *
 * <ul>
 *   <li>{@link io.github.wsproxy.testing.TestUpstream}: a real WebSocket server (Java-WebSocket)
 *       that echoes by default and records handshakes, frames, messages and closes.
 *   <li>{@link io.github.wsproxy.testing.RawUpstream} and {@link
 *       io.github.wsproxy.testing.RawClient}: blocking-socket peers that read and write exact
 *       bytes, using {@link io.github.wsproxy.testing.WireFrame} and {@link
 *       io.github.wsproxy.testing.HttpHead}.
 *   <li>{@link io.github.wsproxy.testing.JdkTestClient} and {@link
 *       io.github.wsproxy.testing.JwsTestClient}: real WebSocket clients (the JDK's and
 *       Java-WebSocket's) that queue what they receive.
 *   <li>{@link io.github.wsproxy.testing.WsProxyExtension}: starts an upstream and a proxy around
 *       each test.
 *   <li>{@link io.github.wsproxy.testing.Await}: waiting for a condition with a deadline.
 * </ul>
 *
 * <p>Every server binds 127.0.0.1 on an ephemeral port by default, every fixture is {@link
 * java.lang.AutoCloseable} and releases its sockets and threads when closed, and nothing waits by
 * sleeping a fixed time: waits are for conditions, with deadlines.
 */
package io.github.wsproxy.testing;
