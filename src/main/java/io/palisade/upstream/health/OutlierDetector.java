package io.palisade.upstream.health;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Passive ejection state of one endpoint, fed by real traffic: {@code consecutive_failures} failures in a row eject it
 * for {@code ejection × 2^(n-1)}, capped at {@code max_ejection}, where n counts its recent ejections.
 *
 * <p><b>Decay.</b> A flapping endpoint must be kept out longer each time, but one that misbehaved once an hour ago
 * should start from the base again. So after an ejection ends, every full {@code max_ejection} it spends without being
 * ejected again lowers n by one (lazily computed; nothing runs in the background): an endpoint has to stay clean for
 * longer than its longest possible ejection to earn one step back.
 *
 * <p>This class decides nothing about the cluster-wide cap ({@code max_ejection_percent}); the caller reserves a slot
 * before {@link #tryEject} and gives it back when {@link #tryRecover}/{@link #forceRecover} return true. Every method
 * is lock-free; times are {@link io.palisade.time.Ticker} nanos, compared by difference so the origin does not matter.
 */
public final class OutlierDetector {
    private record Ejection(boolean ejected, long until, int count, long decayFrom) {}

    private static final Ejection NEVER = new Ejection(false, 0, 0, 0);

    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicReference<Ejection> ejection = new AtomicReference<>(NEVER);

    /** Counts a failed request; returns the failures in a row so far. Hot path: one atomic increment. */
    public int onFailure() {
        int n = consecutiveFailures.incrementAndGet();
        if (n < 0) { // two billion failures without a success and ejection disabled: stay at the top
            consecutiveFailures.set(Integer.MAX_VALUE);
            return Integer.MAX_VALUE;
        }
        return n;
    }

    /** Ends a run of failures. Skips the write when there is no run, so healthy traffic does not contend. */
    public void onSuccess() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
    }

    public int consecutiveFailures() {
        return consecutiveFailures.get();
    }

    /** Whether {@code failures} in a row reach the threshold; a threshold below 1 disables ejection. */
    public static boolean reachesThreshold(int failures, OutlierConfig config) {
        return config.consecutiveFailures() > 0 && failures >= config.consecutiveFailures();
    }

    public boolean isEjected() {
        return ejection.get().ejected();
    }

    /** When the current ejection ends; meaningless unless {@link #isEjected()}. */
    public long ejectedUntilNanos() {
        return ejection.get().until();
    }

    /** The n of the next ejection minus one: recent ejections, after decay. */
    public int ejectionCount(long now, OutlierConfig config) {
        return effectiveCount(ejection.get(), now, config);
    }

    /**
     * Ejects the endpoint now unless it already is.
     *
     * @return true when this call ejected it (the caller then owns one slot of the cluster's ejection budget)
     */
    public boolean tryEject(long now, OutlierConfig config) {
        for (;;) {
            Ejection cur = ejection.get();
            if (cur.ejected()) {
                return false;
            }
            int n = saturatingIncrement(effectiveCount(cur, now, config));
            Ejection next = new Ejection(true, now + ejectionNanos(config, n), n, now);
            if (ejection.compareAndSet(cur, next)) {
                consecutiveFailures.set(0);
                return true;
            }
        }
    }

    /**
     * Ends the ejection if its time has come.
     *
     * @return true when this call ended it (the caller gives back its budget slot)
     */
    public boolean tryRecover(long now) {
        for (;;) {
            Ejection cur = ejection.get();
            if (!cur.ejected() || now - cur.until() < 0) {
                return false;
            }
            if (recover(cur, now)) {
                return true;
            }
        }
    }

    /** Ends any ejection at once (the endpoint left the config); true when this call ended one. */
    public boolean forceRecover(long now) {
        for (;;) {
            Ejection cur = ejection.get();
            if (!cur.ejected()) {
                return false;
            }
            if (recover(cur, now)) {
                return true;
            }
        }
    }

    private boolean recover(Ejection cur, long now) {
        if (ejection.compareAndSet(cur, new Ejection(false, cur.until(), cur.count(), now))) {
            // Failures of requests that were in flight while ejected say nothing about the endpoint now.
            consecutiveFailures.set(0);
            return true;
        }
        return false;
    }

    /** {@code ejection × 2^(n-1)}, capped at {@code max_ejection}, without overflowing. */
    public static long ejectionNanos(OutlierConfig config, int n) {
        long base = Math.max(1, config.ejection().toNanos());
        long max = Math.max(1, config.maxEjection().toNanos());
        int shift = Math.max(0, n - 1);
        if (shift >= 62 || base > (max >> shift)) {
            return max;
        }
        return Math.min(base << shift, max);
    }

    private static int effectiveCount(Ejection e, long now, OutlierConfig config) {
        if (e.ejected() || e.count() == 0) {
            return e.count();
        }
        long period = Math.max(1, config.maxEjection().toNanos());
        long elapsed = now - e.decayFrom();
        if (elapsed <= 0) {
            return e.count();
        }
        long steps = elapsed / period;
        return steps >= e.count() ? 0 : e.count() - (int) steps;
    }

    private static int saturatingIncrement(int n) {
        return n == Integer.MAX_VALUE ? n : n + 1;
    }
}
