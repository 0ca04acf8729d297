package io.github.wsproxy.internal.intercept;

import io.github.wsproxy.Frame;
import io.github.wsproxy.Interceptor;
import io.github.wsproxy.Message;
import io.github.wsproxy.ProxyConnection;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The interceptors of a proxy (or a route), in registration order, and which of their callbacks
 * they override: a direction nobody watches is relayed raw. It walks them where a walk never
 * suspends (frames, onOpen, notifications); where an interceptor's stage may suspend it (messages,
 * the handshake), the caller keeps its place and calls them here by index.
 */
public final class InterceptorChain {
  private static final Logger log = LoggerFactory.getLogger(InterceptorChain.class);
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

  /** How many interceptors there are. */
  public int size() {
    return interceptors.size();
  }

  /** Interceptor {@code index}, in registration order. */
  public Interceptor get(int index) {
    return interceptors.get(index);
  }

  public boolean isEmpty() {
    return interceptors.isEmpty();
  }

  /** Whether some interceptor wants whole messages of this direction. */
  public boolean watchesMessages(Direction direction) {
    return direction.fromClient() ? clientMessages : upstreamMessages;
  }

  /** Whether some interceptor wants the frames of this direction as they stream. */
  public boolean watchesFrames(Direction direction) {
    return direction.fromClient() ? clientFrames : upstreamFrames;
  }

  /** Whether this direction has to be decoded. */
  public boolean decodes(Direction direction) {
    return watchesMessages(direction) || watchesFrames(direction);
  }

  /** Whether interceptor {@code index} answers this direction's messages asynchronously. */
  public boolean isAsync(int index, Direction direction) {
    return direction.fromClient() ? asyncClient[index] : asyncUpstream[index];
  }

  /** Calls interceptor {@code index}'s synchronous message callback of this direction. */
  public Message onMessage(int index, Direction direction, ProxyConnection connection, Message message) {
    Interceptor interceptor = interceptors.get(index);
    return direction.fromClient()
        ? interceptor.onClientMessage(connection, message)
        : interceptor.onUpstreamMessage(connection, message);
  }

  /** Calls interceptor {@code index}'s asynchronous message callback of this direction. */
  public CompletionStage<Message> onMessageAsync(int index, Direction direction, ProxyConnection connection,
      Message message) {
    Interceptor interceptor = interceptors.get(index);
    return direction.fromClient()
        ? interceptor.onClientMessageAsync(connection, message)
        : interceptor.onUpstreamMessageAsync(connection, message);
  }

  /**
   * Shows a frame of this direction to every interceptor in order; the first that throws stops
   * the walk and is handed to {@code failed}.
   *
   * @return false when one threw
   */
  public boolean showFrame(Direction direction, ProxyConnection connection, Frame frame,
      BiConsumer<Interceptor, RuntimeException> failed) {
    for (Interceptor interceptor : interceptors) {
      try {
        if (direction.fromClient()) {
          interceptor.onClientFrame(connection, frame);
        } else {
          interceptor.onUpstreamFrame(connection, frame);
        }
      } catch (RuntimeException e) {
        failed.accept(interceptor, e);
        return false;
      }
    }
    return true;
  }

  /**
   * Calls every interceptor's {@code onOpen} in order; the first that throws stops the walk and is
   * handed to {@code failed}.
   */
  public void openEach(ProxyConnection connection, BiConsumer<Interceptor, RuntimeException> failed) {
    for (Interceptor interceptor : interceptors) {
      try {
        interceptor.onOpen(connection);
      } catch (RuntimeException e) {
        failed.accept(interceptor, e);
        return;
      }
    }
  }

  /**
   * Calls every interceptor with a notification (onClose, onError); one that throws is logged,
   * and the others are still called.
   */
  public void notifyEach(long connectionId, String callback, Consumer<Interceptor> call) {
    for (Interceptor interceptor : interceptors) {
      try {
        call.accept(interceptor);
      } catch (RuntimeException e) {
        log.warn("connection {}: interceptor {} failed in {}", connectionId, interceptor, callback, e);
      }
    }
  }

  private static boolean overrides(Class<?> type, String method, Class<?>... parameters) {
    try {
      return type.getMethod(method, parameters).getDeclaringClass() != Interceptor.class;
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException("Interceptor lacks " + method, e);
    }
  }
}
