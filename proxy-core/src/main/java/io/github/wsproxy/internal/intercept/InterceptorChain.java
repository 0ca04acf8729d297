package io.github.wsproxy.internal.intercept;

import io.github.wsproxy.Frame;
import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.ProxyConnection;
import java.util.List;

/**
 * The interceptors of a proxy, in registration order, and which of their callbacks they override:
 * a direction nobody watches is relayed raw.
 */
public final class InterceptorChain {
  private final List<Interceptor> interceptors;
  private final boolean[] asyncClient;
  private final boolean[] asyncUpstream;
  private final boolean clientMessages;
  private final boolean upstreamMessages;
  private final boolean clientFrames;
  private final boolean upstreamFrames;

  public InterceptorChain(List<Interceptor> interceptors) {
    this.interceptors = List.copyOf(interceptors);
    int n = this.interceptors.size();
    asyncClient = new boolean[n];
    asyncUpstream = new boolean[n];
    boolean cm = false;
    boolean um = false;
    boolean cf = false;
    boolean uf = false;
    for (int i = 0; i < n; i++) {
      Class<?> type = this.interceptors.get(i).getClass();
      asyncClient[i] = overrides(type, "onClientMessageAsync", ProxyConnection.class, Message.class);
      asyncUpstream[i] = overrides(type, "onUpstreamMessageAsync", ProxyConnection.class, Message.class);
      cm |= asyncClient[i] || overrides(type, "onClientMessage", ProxyConnection.class, Message.class);
      um |= asyncUpstream[i] || overrides(type, "onUpstreamMessage", ProxyConnection.class, Message.class);
      cf |= overrides(type, "onClientFrame", ProxyConnection.class, Frame.class);
      uf |= overrides(type, "onUpstreamFrame", ProxyConnection.class, Frame.class);
    }
    clientMessages = cm;
    upstreamMessages = um;
    clientFrames = cf;
    upstreamFrames = uf;
  }

  public List<Interceptor> all() {
    return interceptors;
  }

  public boolean isEmpty() {
    return interceptors.isEmpty();
  }

  /** Whether some interceptor wants whole messages from this side. */
  public boolean watchesMessages(boolean fromClient) {
    return fromClient ? clientMessages : upstreamMessages;
  }

  /** Whether some interceptor wants the frames from this side as they stream. */
  public boolean watchesFrames(boolean fromClient) {
    return fromClient ? clientFrames : upstreamFrames;
  }

  /** Whether this direction has to be decoded. */
  public boolean decodes(boolean fromClient) {
    return watchesMessages(fromClient) || watchesFrames(fromClient);
  }

  /** Whether interceptor {@code index} answers this side's messages asynchronously. */
  public boolean isAsync(int index, boolean fromClient) {
    return fromClient ? asyncClient[index] : asyncUpstream[index];
  }

  private static boolean overrides(Class<?> type, String method, Class<?>... parameters) {
    try {
      return type.getMethod(method, parameters).getDeclaringClass() != Interceptor.class;
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException("Interceptor lacks " + method, e);
    }
  }
}
