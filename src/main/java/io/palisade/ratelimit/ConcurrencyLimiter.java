package io.palisade.ratelimit;

import io.palisade.error.ErrorKind;
import java.util.Optional;

/**
 * Caps the requests one consumer has in flight on one route ({@code concurrency.per_consumer}). Lock-free; counters
 * exist only while a consumer has requests in flight.
 *
 * <pre>{@code
 * Optional<ConcurrencyLimiter.Permit> permit = limits.perConsumerConcurrency().isPresent()
 *         ? concurrency.tryAcquire(routeId, consumerOrClientIp, limits.perConsumerConcurrency().getAsInt())
 *         : Optional.of(ConcurrencyLimiter.Permit.NONE);
 * if (permit.isEmpty()) { reject with ConcurrencyLimiter.REJECTION }
 * // ... when the exchange ends, however it ends:
 * permit.get().release();
 * }</pre>
 *
 * <p>Pass the client address as the consumer for anonymous requests, or they all share one cap.
 */
public interface ConcurrencyLimiter {
    /** How a refusal is answered: 429 {@code concurrency_limited} with Retry-After. */
    ErrorKind REJECTION = ErrorKind.CONCURRENCY_LIMITED;

    static ConcurrencyLimiter create() {
        return new DefaultConcurrencyLimiter();
    }

    /** One request in flight; {@link #release} is idempotent, so every exit path may call it. */
    interface Permit {
        /** A permit that holds nothing, for routes without a cap. */
        Permit NONE = () -> { };

        void release();
    }

    /**
     * Takes a slot when {@code consumer} has fewer than {@code max} requests in flight on {@code routeId}.
     *
     * @param max at least 1
     */
    Optional<Permit> tryAcquire(String routeId, String consumer, int max);

    int inFlight(String routeId, String consumer);

    /** (route, consumer) pairs with requests in flight: the only entries the limiter holds. */
    int trackedConsumers();

    /** Requests refused since start. */
    long rejections();
}
