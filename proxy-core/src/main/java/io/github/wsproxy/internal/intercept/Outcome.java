package io.github.wsproxy.internal.intercept;

import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * The result of an interceptor's {@link CompletionStage}, picked up at once when the stage was
 * already complete (no task, no allocation beyond this object), or handed to a callback later.
 */
public final class Outcome<T> {
  private static final int WAITING = 0;
  private static final int DONE = 1;
  private static final int DETACHED = 2;

  private final AtomicInteger state = new AtomicInteger(WAITING);
  private T value;
  private Throwable failure;
  private BiConsumer<T, Throwable> later;

  private Outcome() {}

  /**
   * Subscribes to {@code stage}. When it is already complete, {@link #isDone()} is true and the
   * result can be read at once; otherwise {@code later} gets it, on the completing thread.
   */
  public static <T> Outcome<T> of(CompletionStage<T> stage, BiConsumer<T, Throwable> later) {
    Outcome<T> outcome = new Outcome<>();
    outcome.later = later;
    if (stage == null) {
      outcome.failure = new NullPointerException("interceptor returned a null stage");
      outcome.state.set(DONE);
      return outcome;
    }
    stage.whenComplete(outcome::complete);
    outcome.state.compareAndSet(WAITING, DETACHED);
    return outcome;
  }

  /** Whether the stage had completed when it was subscribed to. */
  public boolean isDone() {
    return state.get() == DONE;
  }

  public T value() {
    return value;
  }

  public Throwable failure() {
    return failure;
  }

  /** The cause of a {@link CompletionException}, or the failure itself. */
  public static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  private void complete(T result, Throwable error) {
    value = result;
    failure = error;
    if (!state.compareAndSet(WAITING, DONE)) {
      later.accept(result, error);
    }
  }
}
