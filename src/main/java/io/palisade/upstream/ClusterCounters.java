package io.palisade.upstream;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What is in flight against one cluster's limits, shared by every generation of the cluster so a config reload
 * neither forgets requests in flight nor lets their releases go to a counter nobody reads.
 */
final class ClusterCounters {
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger pending = new AtomicInteger();
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger retries = new AtomicInteger();
    /** Wake-ups of requests queued for a connection slot ({@code max_pending}), oldest first. */
    final ConcurrentLinkedQueue<Runnable> slotWaiters = new ConcurrentLinkedQueue<>();
    /** Endpoints ejected right now, for {@code max_ejection_percent}. */
    final AtomicInteger ejected = new AtomicInteger();
    final LongAdder[] rejected = new LongAdder[Cluster.Reason.values().length];
    /** Picks made while passive ejections had the cluster under its panic threshold. */
    final LongAdder panicPicks = new LongAdder();

    ClusterCounters() {
        for (int i = 0; i < rejected.length; i++) {
            rejected[i] = new LongAdder();
        }
    }

    /** Takes a slot of the cluster's ejection budget, or refuses when {@code max} endpoints are already out. */
    boolean tryReserveEjection(int max) {
        return tryIncrement(ejected, max);
    }

    void releaseEjection() {
        decrementToZero(ejected);
    }

    static boolean tryIncrement(AtomicInteger counter, int limit) {
        for (;;) {
            int current = counter.get();
            if (current >= limit) {
                return false;
            }
            if (counter.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** Never below zero: a double release is a caller bug, but must not open the limit for everyone else. */
    static void decrementToZero(AtomicInteger counter) {
        for (;;) {
            int current = counter.get();
            if (current <= 0 || counter.compareAndSet(current, current - 1)) {
                return;
            }
        }
    }
}
