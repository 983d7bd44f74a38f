package io.palisade.route;

import java.time.Duration;
import java.util.List;

/**
 * A route's {@code ingest:} action: instead of proxying, the gateway keeps each request durably, answers 202, and
 * delivers it to {@code cluster} later with retries.
 *
 * @param cluster      where records are delivered (through its balancer, health checks and timeouts)
 * @param maxRecord    a larger request is refused with 413 ({@code max_record})
 * @param quota        this route's share of {@code ingest.max_disk} in bytes of live records; full: 507
 * @param acceptEmpty  {@code empty_body: accept}: a zero-byte body is a valid record; otherwise 400 body_required
 * @param storeHeaders the request headers kept with the record and sent on delivery (credentials never are)
 * @param retry        when to try a failed delivery again, and when to give up
 * @param concurrency  deliveries in flight to the cluster at once
 */
public record IngestAction(String cluster, long maxRecord, long quota, boolean acceptEmpty, List<String> storeHeaders,
                           Retry retry, int concurrency) {
    public IngestAction {
        storeHeaders = List.copyOf(storeHeaders);
    }

    /**
     * Exponential backoff with full jitter: attempt {@code n} (from 1) waits a random time in
     * {@code [0, min(max, initial * 2^(n-1))]}, or what the upstream's {@code Retry-After} asked if longer. A record
     * is given up on (quarantined) only when both {@code attempts} and {@code maxAge} are spent.
     */
    public record Retry(Duration initial, Duration max, int attempts, Duration maxAge) {}
}
