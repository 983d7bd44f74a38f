package io.palisade.ingest;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one ingest route's forwarder did since the process started, for {@code GET /ingest} and the metrics.
 * Thread-safe: the forwarder counts from its threads, readers read from theirs. The totals count what is durable: a
 * result is counted once its journal commit completed.
 */
final class ForwarderStats {
    private final LongAdder delivered = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder quarantined = new LongAdder();
    private final LongAdder attempts = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();

    /** Records delivered (a 2xx answer, committed). */
    long delivered() {
        return delivered.sum();
    }

    /** Attempts that led to a retry (committed). */
    long retried() {
        return retried.sum();
    }

    /** Records moved to the quarantine (committed). */
    long quarantined() {
        return quarantined.sum();
    }

    /** Delivery attempts made, whatever came of them (including those a shutdown left unrecorded). */
    long attempts() {
        return attempts.sum();
    }

    /**
     * Records taken for delivery whose result is not committed yet: attempts in flight (at most the route's
     * {@code concurrency}) and results waiting for their journal commit.
     */
    int inFlight() {
        return inFlight.get();
    }

    void countDelivered() {
        delivered.increment();
    }

    void countRetried() {
        retried.increment();
    }

    void countQuarantined() {
        quarantined.increment();
    }

    void countAttempt() {
        attempts.increment();
    }

    void takenForDelivery() {
        inFlight.incrementAndGet();
    }

    void leftFlight() {
        inFlight.decrementAndGet();
    }

    @Override
    public String toString() {
        return "ForwarderStats[delivered=" + delivered() + ", retried=" + retried() + ", quarantined="
                + quarantined() + ", attempts=" + attempts() + ", inFlight=" + inFlight() + "]";
    }
}
