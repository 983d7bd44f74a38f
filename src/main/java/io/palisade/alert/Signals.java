package io.palisade.alert;

import java.util.List;
import java.util.Objects;

/**
 * What the gateway's own state says, read by the {@link AlertEngine} at every evaluation on its thread: the probes
 * behind the built-in alerts that outcomes cannot show. The gateway implements it over its parts (the rate-limit
 * store, the serving clusters, the ingest store, the event-loop lag monitor); each method must be cheap, thread-safe
 * and non-blocking. The defaults say "nothing to report", so an implementation gives what it has.
 *
 * <pre>{@code
 * Signals signals = new Signals() {
 *     public boolean rateLimitFallback() { return limiter.stats().fallbackActive(); }
 *     public double eventLoopLagSeconds() { return lagMonitor.worstNowSeconds(); }
 * };
 * }</pre>
 */
public interface Signals {
    /** Nothing to report. */
    Signals NONE = new Signals() {};

    /** Whether the global rate limits are decided locally because their Redis store cannot be reached. */
    default boolean rateLimitFallback() {
        return false;
    }

    /** The serving version's clusters now. */
    default List<ClusterState> clusters() {
        return List.of();
    }

    /** The ingest routes' stores now. */
    default List<IngestState> ingest() {
        return List.of();
    }

    /**
     * The worst lag of any data event loop now, in seconds: how late its latest probe task ran, or how overdue one
     * that has not run yet is (a loop blocked for good never runs its probe, so its last figure alone would look
     * fine).
     */
    default double eventLoopLagSeconds() {
        return 0;
    }

    /**
     * One cluster.
     *
     * @param endpoints   its endpoints
     * @param available   those that take traffic (healthy and not ejected)
     * @param failingOver it has none available and its requests go down its {@code failover} chain, to a cluster
     *                    that has one
     * @param panic       passive ejections have it under its panic threshold, so ejected endpoints take traffic
     */
    record ClusterState(String cluster, int endpoints, int available, boolean failingOver, boolean panic) {
        public ClusterState {
            Objects.requireNonNull(cluster, "cluster");
        }
    }

    /**
     * One ingest route.
     *
     * @param backlog           records waiting for delivery
     * @param oldestAgeSeconds  how long the oldest of them has waited; 0 without backlog
     * @param quarantined       records in quarantine now (deliveries given up on)
     */
    record IngestState(String route, long backlog, double oldestAgeSeconds, long quarantined) {
        public IngestState {
            Objects.requireNonNull(route, "route");
        }
    }
}
