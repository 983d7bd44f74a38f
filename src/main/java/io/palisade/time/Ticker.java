package io.palisade.time;

/**
 * A source of monotonic nanoseconds, passed to everything that measures time (limiters, health state, caches,
 * breakers) so tests advance a fake one instead of sleeping.
 *
 * <pre>{@code
 * Ticker ticker = Ticker.system();
 * long start = ticker.read();
 * }</pre>
 */
@FunctionalInterface
public interface Ticker {
    /** Nanoseconds from an arbitrary origin; only differences mean anything. */
    long read();

    static Ticker system() {
        return System::nanoTime;
    }
}
