package io.palisade.upstream;

import io.palisade.time.RateLimitedLog;
import io.palisade.upstream.health.HealthCheckConfig;
import io.palisade.upstream.health.HealthTransition;
import io.palisade.upstream.health.OutlierConfig;
import io.palisade.upstream.health.OutlierDetector;
import io.palisade.upstream.health.ProbeResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which endpoints of one {@link Cluster} generation take traffic now, and the bookkeeping that decides it: passive
 * ejection (its threshold, {@code max_ejection_percent}, its end), active-check verdicts, and panic. Kept apart from
 * the cluster, which picks among what this allows and guards the circuit limits, because its rules (when an endpoint
 * goes out and comes back, and when ejected ones take traffic again) change for reasons of their own.
 *
 * <p>The result is a {@link View}, an immutable snapshot rebuilt only when some endpoint's state changes, so a pick
 * reads it with one volatile load; an expired ejection is noticed on the next read (one ticker read, only while some
 * endpoint is ejected). Lock-free, like the cluster: any event loop may call it. The endpoint state itself
 * ({@link EndpointCore}) is shared by every generation of the cluster name, so a change decided here rebuilds the
 * views of the other generations holding the endpoint too.
 */
final class ClusterAvailability {
    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);
    private static final long PANIC_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * @param available  endpoints neither ejected nor marked down by an active check
     * @param picks      what a pick chooses from: {@code available}, or in panic (while some are available) every
     *                   endpoint the active checks allow, ejected ones included
     * @param lastResort in panic with none available: every endpoint the active checks allow, for when the failover
     *                   chain has nothing either; otherwise empty
     * @param panic      passive ejections leave fewer than {@code panic_threshold} percent of the allowed endpoints
     * @param allowed    how many endpoints the active checks allow, ejected or not
     */
    record View(long version, List<Endpoint> available, List<Endpoint> picks, List<Endpoint> lastResort,
                boolean panic, int allowed, boolean anyEjected, long earliestRecovery) {}

    private final Cluster cluster;
    private final ClusterConfig config;
    private final List<Endpoint> endpoints;
    private final ClusterCounters counters;
    private final ClusterContext context;
    private final int maxEjections;
    private final AtomicLong stateVersion = new AtomicLong();
    private final AtomicReference<View> view;
    private final RateLimitedLog panicLog;

    ClusterAvailability(Cluster cluster, ClusterConfig config, List<Endpoint> endpoints, ClusterCounters counters,
                        ClusterContext context) {
        this.cluster = cluster;
        this.config = config;
        this.endpoints = endpoints;
        this.counters = counters;
        this.context = context;
        int percent = config.outlier().maxEjectionPercent();
        // At least one: a percentage of a small cluster rounds to zero, which would silently disable ejection there.
        this.maxEjections = percent <= 0 ? 0 : Math.max(1, endpoints.size() * Math.min(100, percent) / 100);
        this.view = new AtomicReference<>(buildView(0));
        this.panicLog = RateLimitedLog.every(Duration.ofNanos(PANIC_LOG_INTERVAL_NANOS), LOG, context.ticker);
    }

    /** The view now, after ending the ejections whose time has passed. */
    View current() {
        View v = view.get();
        if (v.anyEjected() && context.ticker.read() - v.earliestRecovery() >= 0) {
            sweep();
            v = view.get();
        }
        return v;
    }

    /** The view as last built, expired ejections and all; for a caller that has just called {@link #current()}. */
    View lastBuilt() {
        return view.get();
    }

    /** Ends ejections whose time has passed. */
    private void sweep() {
        long now = context.ticker.read();
        boolean recovered = false;
        for (Endpoint endpoint : endpoints) {
            EndpointCore core = endpoint.core();
            if (core.outlier.tryRecover(now)) {
                recovered = true;
                core.counters.releaseEjection();
                stateChanged(core);
                context.publish(new EndpointEvent(core.cluster, core.address,
                        new EndpointStatus(core.health.state(), true), core.status(), EndpointEvent.Reason.RECOVERED,
                        "ejection ended"));
            }
        }
        if (!recovered) {
            // Another generation (or thread) ended them; this view is stale and would otherwise sweep on every pick.
            refresh();
        }
    }

    /** Counts a pick made in panic, and says so in the log at most every ten seconds per cluster. */
    void panicPick(View v) {
        counters.panicPicks.increment();
        if (panicLog.due()) {
            panicLog.warn("cluster " + config.name() + ": passive ejection leaves " + v.available().size() + " of "
                    + v.allowed() + " endpoints, under panic_threshold " + config.outlier().panicThreshold()
                    + "%: the ejected ones take traffic again", null);
        }
    }

    /** See {@link Cluster#endpointFailed}: ejects the endpoint when its failures reach the outlier threshold. */
    void endpointFailed(EndpointCore core, Endpoint.FailureKind kind) {
        int failures = core.outlier.onFailure();
        OutlierConfig outlier = config.outlier();
        if (!OutlierDetector.reachesThreshold(failures, outlier) || core.outlier.isEjected() || core.retired) {
            return;
        }
        if (!core.counters.tryReserveEjection(maxEjections)) {
            return; // max_ejection_percent reached: keep the endpoint, it may still be the best we have
        }
        long now = context.ticker.read();
        if (!core.outlier.tryEject(now, outlier)) {
            core.counters.releaseEjection(); // another thread ejected it first
            return;
        }
        if (core.retired) { // removed from the config meanwhile: nobody would ever end this ejection
            if (core.outlier.forceRecover(now)) {
                core.counters.releaseEjection();
            }
            return;
        }
        stateChanged(core);
        long millis = (core.outlier.ejectedUntilNanos() - now) / 1_000_000;
        context.publish(new EndpointEvent(core.cluster, core.address,
                new EndpointStatus(core.health.state(), false), core.status(), EndpointEvent.Reason.OUTLIER,
                failures + " consecutive failures (last: " + kind + "), ejected for " + millis + " ms"));
    }

    /** See {@link Cluster#probed}: records an active check result, which may move the endpoint up or down. */
    void probed(EndpointCore core, ProbeResult result) {
        Optional<HealthCheckConfig> check = config.healthCheck();
        if (core.retired || check.isEmpty()) {
            return;
        }
        HealthCheckConfig hc = check.get();
        Optional<HealthTransition> transition = core.health.record(result.passed(), hc.healthyAfter(),
                hc.unhealthyAfter());
        if (transition.isPresent()) {
            stateChanged(core);
            boolean ejected = core.outlier.isEjected();
            context.publish(new EndpointEvent(core.cluster, core.address,
                    new EndpointStatus(transition.get().from(), ejected),
                    new EndpointStatus(transition.get().to(), ejected), EndpointEvent.Reason.ACTIVE_CHECK,
                    result.detail()));
        }
    }

    private void stateChanged(EndpointCore core) {
        Cluster owner = core.owner;
        if (owner != null && owner != cluster) {
            owner.refresh();
        }
        for (Cluster other : core.alsoIn) {
            if (other != cluster) {
                other.refresh();
            }
        }
        refresh();
    }

    /**
     * Rebuilds the view after a state change. Lock-free: every change bumps the version before reading states, and a
     * view only replaces an older one, so the newest published view has seen every change.
     */
    void refresh() {
        long version = stateVersion.incrementAndGet();
        View built = buildView(version);
        for (;;) {
            View current = view.get();
            if (current.version() >= version || view.compareAndSet(current, built)) {
                return;
            }
        }
    }

    private View buildView(long version) {
        List<Endpoint> available = new ArrayList<>(endpoints.size());
        List<Endpoint> allowed = new ArrayList<>(endpoints.size());
        boolean anyEjected = false;
        long earliest = 0;
        for (Endpoint endpoint : endpoints) {
            EndpointCore core = endpoint.core();
            boolean ejected = core.outlier.isEjected();
            if (ejected) {
                long until = core.outlier.ejectedUntilNanos();
                if (!anyEjected || until - earliest < 0) {
                    earliest = until;
                }
                anyEjected = true;
            }
            if (core.health.state().allowsTraffic()) {
                allowed.add(endpoint);
                if (!ejected) {
                    available.add(endpoint);
                }
            }
        }
        int threshold = config.outlier().panicThreshold();
        boolean panic = threshold > 0 && !allowed.isEmpty()
                && available.size() * 100L < (long) threshold * allowed.size();
        List<Endpoint> availableList = List.copyOf(available);
        List<Endpoint> allowedList = panic ? List.copyOf(allowed) : List.of();
        List<Endpoint> picks = panic && !available.isEmpty() ? allowedList : availableList;
        List<Endpoint> lastResort = panic && available.isEmpty() ? allowedList : List.of();
        return new View(version, availableList, picks, lastResort, panic, allowed.size(), anyEjected, earliest);
    }
}
