/**
 * The event loop everything in a started proxy runs on: {@code EventLoop} (one selector thread, its
 * tasks, its clock and its per-tick callbacks), {@code Readiness} (what a selection key's attachment
 * does when its channel is ready) and {@code BufferPool} (direct buffers recycled within a loop).
 *
 * <p>The bottom of the engine: depends on the JDK and on {@code internal.frame} (the per-loop
 * masking helper the loop hands to its connections) only; never on the packages that run on it.
 */
package io.github.wsproxy.internal.loop;
