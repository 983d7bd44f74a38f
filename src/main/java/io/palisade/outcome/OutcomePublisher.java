package io.palisade.outcome;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands every {@link Outcome} to the subscribers, synchronously, in the order they subscribed. One per gateway;
 * publish from any thread (each request publishes on its own event loop), subscribe and unsubscribe from any thread.
 *
 * <pre>{@code
 * OutcomePublisher outcomes = OutcomePublisher.create();
 * OutcomePublisher.Subscription s = outcomes.subscribe(accessLog);
 * outcomes.publish(outcome);   // accessLog.onOutcome(outcome), then the next subscriber's
 * s.close();                   // no more outcomes for accessLog
 * }</pre>
 *
 * <p>Publishing allocates nothing: the subscribers are an array, replaced whole when one comes or goes, and read
 * with one volatile load. Subscribers run on the publishing event loop, so each must be cheap and hand heavy work off
 * (see {@link OutcomeSubscriber}). One that throws is caught and logged, at most once per ten seconds with a count of
 * what was suppressed, and the others still run: no subscriber can fail a request.
 */
public final class OutcomePublisher {
    private static final Logger log = LoggerFactory.getLogger(OutcomePublisher.class);
    private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;
    private static final OutcomeSubscriber[] NONE = {};

    private final LongSupplier nanoTime;
    private final Object lock = new Object();
    private volatile OutcomeSubscriber[] subscribers = NONE;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong lastLog;
    private final AtomicLong suppressed = new AtomicLong();

    private OutcomePublisher(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.lastLog = new AtomicLong(nanoTime.getAsLong() - LOG_INTERVAL_NANOS);
    }

    public static OutcomePublisher create() {
        return new OutcomePublisher(System::nanoTime);
    }

    /** A publisher whose failure log is rate-limited on {@code nanoTime} (a test's fake ticker). */
    public static OutcomePublisher create(LongSupplier nanoTime) {
        return new OutcomePublisher(Objects.requireNonNull(nanoTime, "nanoTime"));
    }

    /** Stops the outcomes for one subscriber; closing twice does nothing. */
    @FunctionalInterface
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Adds {@code subscriber} after those already there; it receives the outcomes published from now on. The same
     * subscriber added twice receives each outcome twice.
     */
    public Subscription subscribe(OutcomeSubscriber subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        synchronized (lock) {
            OutcomeSubscriber[] now = subscribers;
            OutcomeSubscriber[] next = Arrays.copyOf(now, now.length + 1);
            next[now.length] = subscriber;
            subscribers = next;
        }
        // Closing forgets the subscriber, so a second close cannot remove another subscription of the same one.
        OutcomeSubscriber[] slot = {subscriber};
        return () -> remove(slot);
    }

    private void remove(OutcomeSubscriber[] slot) {
        synchronized (lock) {
            OutcomeSubscriber s = slot[0];
            if (s == null) {
                return;
            }
            slot[0] = null;
            OutcomeSubscriber[] now = subscribers;
            for (int i = now.length - 1; i >= 0; i--) {
                if (now[i] == s) {
                    OutcomeSubscriber[] next = new OutcomeSubscriber[now.length - 1];
                    System.arraycopy(now, 0, next, 0, i);
                    System.arraycopy(now, i + 1, next, i, now.length - i - 1);
                    subscribers = next;
                    return;
                }
            }
        }
    }

    /** Gives {@code outcome} to every subscriber, in order, on the calling thread. Never throws. */
    public void publish(Outcome outcome) {
        OutcomeSubscriber[] all = subscribers;
        for (OutcomeSubscriber s : all) {
            try {
                s.onOutcome(outcome);
            } catch (RuntimeException | Error e) {
                if (e instanceof VirtualMachineError fatal) {
                    throw fatal;
                }
                failed(s, e);
            }
        }
    }

    /** Subscriber calls that threw, since this publisher was created. */
    public long failures() {
        return failures.get();
    }

    private void failed(OutcomeSubscriber s, Throwable cause) {
        failures.incrementAndGet();
        long now = nanoTime.getAsLong();
        long last = lastLog.get();
        if (now - last >= LOG_INTERVAL_NANOS && lastLog.compareAndSet(last, now)) {
            log.warn("outcome subscriber {} failed ({} similar suppressed)", s.getClass().getName(),
                    suppressed.getAndSet(0), cause);
        } else {
            suppressed.incrementAndGet();
        }
    }
}
