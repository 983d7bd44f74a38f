package io.palisade.ratelimit;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * In-flight counts per key, lock-free on the counter, with a key's entry removed as soon as its count returns to zero,
 * so the map holds only keys with requests in flight (seed 001: nothing per consumer may outlive its requests).
 *
 * <p>A counter that reaches zero is retired (set to -1) by compare-and-set and then removed; an acquirer that meets a
 * retired counter helps remove it and starts a new one, so no count is ever lost to the removal race.
 */
final class InFlightCounters<K> {
    static final class Counter extends AtomicInteger {}

    private final ConcurrentHashMap<K, Counter> counters = new ConcurrentHashMap<>();

    /** Increments the key's count if it is below {@code max}; null when it is not (nothing changed). */
    Counter tryIncrement(K key, int max) {
        for (;;) {
            Counter c = counters.get(key);
            if (c == null) {
                Counter fresh = new Counter();
                c = counters.putIfAbsent(key, fresh);
                if (c == null) {
                    c = fresh;
                }
            }
            for (;;) {
                int v = c.get();
                if (v < 0) {
                    counters.remove(key, c);
                    break;
                }
                if (v >= max) {
                    if (v == 0 && c.compareAndSet(0, -1)) {
                        counters.remove(key, c);
                    }
                    return null;
                }
                if (c.compareAndSet(v, v + 1)) {
                    return c;
                }
            }
        }
    }

    /** Undoes one increment; removes the key when nothing of it is in flight any more. */
    void decrement(K key, Counter c) {
        if (c.decrementAndGet() == 0 && c.compareAndSet(0, -1)) {
            counters.remove(key, c);
        }
    }

    int get(K key) {
        Counter c = counters.get(key);
        return c == null ? 0 : Math.max(0, c.get());
    }

    /** Keys with requests in flight. */
    int size() {
        return counters.size();
    }
}
