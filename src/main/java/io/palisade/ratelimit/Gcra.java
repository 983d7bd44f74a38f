package io.palisade.ratelimit;

import java.util.concurrent.atomic.AtomicLong;

/**
 * GCRA on one key's theoretical arrival time (TAT), lock-free: the state is one long, updated by compare-and-set.
 *
 * <p>A request at {@code now} is admitted when {@code max(tat, now) + interval - now <= tolerance} (tolerance = burst x
 * interval), and then {@code tat} becomes {@code max(tat, now) + interval}. A key whose TAT is in the past has no state:
 * it behaves exactly like a key never seen, so such entries can be dropped at any time.
 */
final class Gcra {
    /** The TAT of a new key: earlier than any {@code now}, so the first request starts from now. */
    static final long EMPTY = Long.MIN_VALUE;

    private Gcra() {}

    /**
     * Tries to take one request.
     *
     * @return when admitted, how far the TAT now runs ahead of {@code now} (>= interval); when rejected, minus the
     *         nanoseconds until a request would be admitted (< 0)
     */
    static long acquire(AtomicLong cell, long now, long interval, long tolerance) {
        for (;;) {
            long tat = cell.get();
            long next = Math.max(tat, now) + interval;
            long ahead = next - now;
            if (ahead > tolerance) {
                return -(ahead - tolerance);
            }
            if (cell.compareAndSet(tat, next)) {
                return ahead;
            }
        }
    }

    /** What {@link #acquire} would answer, without taking anything; for a key with no entry pass {@link #EMPTY}. */
    static long peek(long tat, long now, long interval, long tolerance) {
        long ahead = Math.max(tat, now) + interval - now;
        return ahead > tolerance ? -(ahead - tolerance) : ahead;
    }

    /**
     * Gives back one request taken by {@link #acquire} (another rule of the same request rejected it). Increments
     * commute, so this is exact whatever other requests did in between.
     */
    static void refund(AtomicLong cell, long interval) {
        cell.addAndGet(-interval);
    }

    /** Requests the key may still send now, given how far its TAT runs ahead of now. */
    static long remaining(long ahead, long interval, long tolerance) {
        return Math.max(0, (tolerance - ahead) / interval);
    }

    /** Whole seconds, rounded up. */
    static long ceilSeconds(long nanos) {
        return nanos <= 0 ? 0 : (nanos + 999_999_999L) / 1_000_000_000L;
    }
}
