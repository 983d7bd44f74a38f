package io.palisade.upstream;

import io.palisade.config.Address;
import io.palisade.upstream.balance.Target;
import io.palisade.upstream.health.HealthState;
import java.util.Objects;
import java.util.Optional;

/**
 * One upstream endpoint of a {@link Cluster}, with the hooks the proxy calls around every attempt:
 *
 * <pre>{@code
 * Endpoint e = pick.endpoint();
 * e.onRequestStart();
 * try {
 *     ... send, await the response ...
 *     if (status < 500) e.onSuccess(); else e.onFailure(Endpoint.FailureKind.SERVER_ERROR);
 * } finally {
 *     e.onRequestEnd();
 * }
 * }</pre>
 *
 * <p>Every method is lock-free and may be called from any thread. Health, ejection and requests in flight belong to
 * the (cluster, address) and survive config reloads that keep it; an {@code Endpoint} held across a reload keeps
 * working and reports into the same state. Two endpoints are equal when they have the same cluster name and address.
 */
public final class Endpoint implements Target {
    /** How an attempt failed; every kind counts toward passive ejection. */
    public enum FailureKind {
        CONNECT_FAILED, TIMEOUT, RESET,
        /** A 5xx response. */
        SERVER_ERROR
    }

    private final EndpointCore core;
    private final int weight;
    private final Cluster cluster;
    private final Optional<Pick> pick;
    private final String addressText;

    Endpoint(EndpointCore core, int weight, Cluster cluster) {
        this.core = core;
        this.weight = weight;
        this.cluster = cluster;
        this.pick = Optional.of(new Pick(cluster, this));
        this.addressText = core.address.toString();
    }

    public Address address() {
        return core.address;
    }

    /** {@code address().toString()}, made once: logs and outcomes name the endpoint of every request with it. */
    public String addressText() {
        return addressText;
    }

    /** The configured weight, at least 1. */
    public int weight() {
        return weight;
    }

    /** The name of the cluster this endpoint belongs to. */
    public String cluster() {
        return core.cluster;
    }

    /** Attempts in flight: between {@link #onRequestStart()} and {@link #onRequestEnd()}. */
    public int activeRequests() {
        return core.active.get();
    }

    /** Whether the endpoint may receive traffic: not UNHEALTHY and not ejected. */
    public boolean isAvailable() {
        return core.available();
    }

    public HealthState health() {
        return core.health.state();
    }

    public EndpointStatus status() {
        return core.status();
    }

    /**
     * Whether passive outlier detection has this endpoint out of rotation. An ejection whose time has passed ends at
     * the next pick or snapshot of its cluster, or within a second by the manager's sweep.
     */
    public boolean isEjected() {
        return core.outlier.isEjected();
    }

    /** When the current ejection ends, in the manager's {@link io.palisade.time.Ticker} nanos; meaningless unless
     * {@link #isEjected()}. */
    public long ejectedUntilNanos() {
        return core.outlier.ejectedUntilNanos();
    }

    /** Recent ejections, after decay (see {@link io.palisade.upstream.health.OutlierDetector}). */
    public int ejectionCount() {
        return core.outlier.ejectionCount(cluster.context().ticker.read(), core.owner.config().outlier());
    }

    /** Failed attempts in a row. */
    public int consecutiveFailures() {
        return core.outlier.consecutiveFailures();
    }

    /** An attempt to this endpoint started (for least-request balancing). */
    public void onRequestStart() {
        core.active.incrementAndGet();
    }

    /** The attempt ended, whatever its outcome. */
    public void onRequestEnd() {
        ClusterCounters.decrementToZero(core.active);
    }

    /** The endpoint answered with a status below 500: ends a run of failures. */
    public void onSuccess() {
        core.outlier.onSuccess();
    }

    /** The attempt failed; {@code consecutive_failures} of these in a row eject the endpoint. */
    public void onFailure(FailureKind kind) {
        Objects.requireNonNull(kind, "kind");
        core.owner.endpointFailed(core, kind);
    }

    EndpointCore core() {
        return core;
    }

    Optional<Pick> cachedPick() {
        return pick;
    }

    EndpointSnapshot snapshot(long now) {
        boolean ejected = core.outlier.isEjected();
        long remaining = ejected ? Math.max(0, core.outlier.ejectedUntilNanos() - now) : 0;
        return new EndpointSnapshot(core.address, weight, core.health.state(), ejected,
                (remaining + 999_999) / 1_000_000, core.outlier.ejectionCount(now, core.owner.config().outlier()),
                core.active.get(), core.outlier.consecutiveFailures());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Endpoint other && core.cluster.equals(other.core.cluster)
                && core.address.equals(other.core.address);
    }

    @Override
    public int hashCode() {
        return 31 * core.cluster.hashCode() + core.address.hashCode();
    }

    @Override
    public String toString() {
        return core.cluster + "/" + core.address;
    }
}
