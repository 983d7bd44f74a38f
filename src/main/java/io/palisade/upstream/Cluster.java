package io.palisade.upstream;

import io.palisade.tls.ClientTls;
import io.palisade.tls.TlsFileException;
import io.palisade.tls.UpstreamTls;
import io.palisade.error.ErrorKind;
import io.palisade.upstream.ClusterAvailability.View;
import io.palisade.upstream.balance.Balancer;
import io.palisade.upstream.health.ProbeResult;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A named group of interchangeable endpoints: picks an endpoint for each attempt, fails over to the next cluster when
 * none is available, and guards the cluster with circuit limits and a retry budget.
 *
 * <pre>{@code
 * Cluster cluster = manager.cluster("orders").orElseThrow();
 * if (!cluster.tryAcquireRequest()) {
 *     return GatewayException.of(ErrorKind.UPSTREAM_OVERLOADED);
 * }
 * Optional<Pick> pick = cluster.pick(hashKey);
 * if (pick.isEmpty()) { ... 503 no_healthy_upstream ... }
 * // use pick.get().cluster() (maybe a failover cluster) for timeouts; release the request on the cluster that
 * // granted it
 * }</pre>
 *
 * <p><b>Threading.</b> Everything here is lock-free and may be called from any event loop. A {@code Cluster} is an
 * immutable generation of the config; {@link ClusterManager#apply} makes a new one and the old one keeps working for
 * requests that hold it: limits, health and ejection state are shared between generations of the same name.
 *
 * <p><b>Picking.</b> The endpoints available right now (active check not UNHEALTHY, not ejected) are kept as an
 * immutable list rebuilt only when some endpoint's state changes ({@link ClusterAvailability}, which also decides
 * ejections and panic); a pick reads it with one volatile load, asks the {@link Balancer}, and returns the endpoint's
 * cached {@code Optional<Pick>}: no allocation. An expired ejection is noticed on the next pick (one ticker read, only
 * while some endpoint is ejected).
 *
 * <p><b>Panic.</b> Passive ejection must not empty a cluster: a one-endpoint cluster whose endpoint refused a few
 * connections would otherwise answer 503 for the whole ejection though the endpoint is back at once. When ejections
 * leave fewer than {@code outlier.panic_threshold} percent of the endpoints the active checks allow, picks go to all of
 * those, ejected or not (Envoy's {@code healthy_panic_threshold}); when they leave none, the failover chain is tried
 * first. Endpoints an active check marks down are never picked.
 *
 * <p><b>Retry budget.</b> Retries in flight may be at most {@code max(3, retries.budget × requests in flight)},
 * requests in flight being those holding {@link #tryAcquireRequest()} (Envoy's retry budget with its minimum retry
 * concurrency): a cluster that fails everything gets at most a small share of extra load, never a retry storm, while
 * a quiet cluster can still retry a few requests.
 */
public final class Cluster {
    /** Retries always allowed in flight, however few requests are: the floor of the retry budget. */
    public static final int MIN_RETRY_CONCURRENCY = 3;

    /** Why a limit refused an acquire; each refusal is counted. */
    public enum Reason {
        MAX_REQUESTS, MAX_PENDING, MAX_CONNECTIONS, RETRY_BUDGET;

        /** The lower-case name used in metric labels. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * What the client sees when this limit turns a request away. A retry the budget refuses is simply not made,
         * so the client gets the failure of the last attempt instead.
         */
        public ErrorKind errorKind() {
            return ErrorKind.UPSTREAM_OVERLOADED;
        }
    }

    private final ClusterConfig config;
    private final Optional<ClientTls> tls;
    private final List<Endpoint> endpoints;
    private final Balancer<Endpoint> balancer;
    private final ClusterCounters counters;
    private final ClusterContext context;
    private final ClusterAvailability availability;
    private final Optional<Cluster> self = Optional.of(this);
    /** The version's set this cluster belongs to, for failover; set once, before the set is published. */
    private ClusterSet set;

    Cluster(ClusterConfig config, List<EndpointCore> cores, List<Integer> weights, ClusterCounters counters,
            ClusterContext context) {
        this.config = config;
        this.counters = counters;
        this.context = context;
        this.balancer = Balancer.of(config.balancer());
        List<Endpoint> list = new ArrayList<>(cores.size());
        for (int i = 0; i < cores.size(); i++) {
            list.add(new Endpoint(cores.get(i), Math.max(1, weights.get(i)), this));
        }
        this.endpoints = List.copyOf(list);
        this.availability = new ClusterAvailability(this, config, endpoints, counters, context);
        this.tls = config.tls().map(t -> clientTls(config.name(), t, config.protocol() == UpstreamProtocol.H2));
    }

    private static ClientTls clientTls(String name, UpstreamTls settings, boolean h2) {
        try {
            return ClientTls.create("clusters." + name, settings, h2);
        } catch (TlsFileException e) {
            // The config's validation read the CA file; it changed since.
            throw new IllegalStateException(e.describe("clusters." + name + ".tls"), e);
        }
    }

    /** TLS to the endpoints, when the cluster has a {@code tls:} block. */
    public Optional<ClientTls> tls() {
        return tls;
    }

    public String name() {
        return config.name();
    }

    public ClusterConfig config() {
        return config;
    }

    /** All endpoints of this generation, available or not, in config order. */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /**
     * Endpoints neither ejected nor marked down by an active check: those that receive traffic, unless the cluster is
     * {@link #inPanic() in panic}, when the ejected ones do too.
     */
    public List<Endpoint> availableEndpoints() {
        return availability.current().available();
    }

    /**
     * Picks an endpoint for a first attempt.
     *
     * @param hashKey what a consistent-hash balancer hashes; {@code ""} when the balancer does not hash (or the request
     *                has no key: it then goes to a random endpoint)
     * @return an endpoint of this cluster, or when none is available, of the first cluster down the {@code failover}
     *         chain that has one; empty when no cluster in the chain has
     */
    public Optional<Pick> pick(String hashKey) {
        return select(Objects.requireNonNull(hashKey, "hashKey"), null);
    }

    /**
     * Picks an endpoint for a retry: like {@link #pick(String)}, but an endpoint other than {@code avoid} whenever
     * the cluster has another one available.
     */
    public Optional<Pick> pick(String hashKey, Endpoint avoid) {
        return select(Objects.requireNonNull(hashKey, "hashKey"), Objects.requireNonNull(avoid, "avoid"));
    }

    /**
     * Down the failover chain, the first cluster with an endpoint to pick. A cluster whose allowed endpoints passive
     * ejection has all taken out is passed over like one with none, so traffic fails over as soon as it would without
     * panic; only when the whole chain has nothing do its ejected endpoints take traffic again (second walk), the
     * first cluster's first: ejection alone never leaves a request without an endpoint to try.
     */
    private Optional<Pick> select(String hashKey, Endpoint avoid) {
        for (int pass = 0; pass < 2; pass++) {
            boolean lastResort = pass == 1;
            Cluster cluster = this;
            // Config validation forbids failover cycles; the bound keeps a bad config from looping anyway.
            int hopsLeft = set == null ? 0 : set.size();
            for (;;) {
                Endpoint endpoint = cluster.pickHere(hashKey, avoid, lastResort);
                if (endpoint != null) {
                    return endpoint.cachedPick();
                }
                Optional<String> failover = cluster.config.failover();
                if (failover.isEmpty() || hopsLeft-- <= 0) {
                    break;
                }
                Cluster next = set.get(failover.get());
                if (next == null) {
                    break;
                }
                cluster = next;
            }
        }
        return Optional.empty();
    }

    private Endpoint pickHere(String hashKey, Endpoint avoid, boolean lastResort) {
        View v = availability.current();
        List<Endpoint> from = lastResort ? v.lastResort() : v.picks();
        int n = from.size();
        if (n == 0) {
            return null;
        }
        if (v.panic()) {
            availability.panicPick(v);
        }
        if (n == 1) {
            return from.get(0);
        }
        return avoid == null ? balancer.pick(from, hashKey) : balancer.pickOther(from, hashKey, avoid);
    }

    /** Whether passive ejections have this cluster under its {@code panic_threshold} now. */
    public boolean inPanic() {
        return availability.current().panic();
    }

    /** Picks made in panic since this cluster name was first configured. */
    public long panicPicks() {
        return counters.panicPicks.sum();
    }

    /** Ends the ejections whose time has passed, if any has (see {@link ClusterAvailability#current()}). */
    void sweepIfDue() {
        availability.current();
    }

    /** Circuit-limit counters, shared by every generation of this cluster name. */
    ClusterCounters counters() {
        return counters;
    }

    /** The next cluster of this one's failover chain in its own version, or null when there is none. */
    Cluster failoverCluster() {
        Optional<String> name = config.failover();
        return name.isEmpty() || set == null ? null : set.get(name.get());
    }

    void joined(ClusterSet clusters) {
        if (set != null) {
            throw new IllegalStateException("cluster " + name() + " already belongs to a set");
        }
        set = clusters;
    }

    /** Called on the core's primary serving generation ({@link EndpointCore#owner}). */
    void endpointFailed(EndpointCore core, Endpoint.FailureKind kind) {
        availability.endpointFailed(core, kind);
    }

    /** Called on the core's newest generation with each active check result. */
    void probed(EndpointCore core, ProbeResult result) {
        availability.probed(core, result);
    }

    /** Rebuilds the available list after a state change of an endpoint this generation holds. */
    void refresh() {
        availability.refresh();
    }

    // ---- circuit limits ------------------------------------------------------------------------------------------

    /** Takes a slot of {@code max_requests}; false (and counted) when the cluster is full. */
    public boolean tryAcquireRequest() {
        return acquire(counters.requests, config.limits().maxRequests(), Reason.MAX_REQUESTS);
    }

    public void releaseRequest() {
        ClusterCounters.decrementToZero(counters.requests);
    }

    /**
     * Takes a slot of {@code max_pending}: a request queued because it can neither reuse an idle connection nor open
     * one ({@code max_connections} are all open). A request opening a connection of its own takes none, so
     * {@code max_pending: 0} means no queue, not no connections.
     */
    public boolean tryAcquirePending() {
        return acquire(counters.pending, config.limits().maxPending(), Reason.MAX_PENDING);
    }

    public void releasePending() {
        ClusterCounters.decrementToZero(counters.pending);
    }

    /** Takes a slot of {@code max_connections}, before opening an upstream connection. */
    public boolean tryAcquireConnection() {
        return acquire(counters.connections, config.limits().maxConnections(), Reason.MAX_CONNECTIONS);
    }

    /** Gives a connection slot back, and tells the request waiting longest for one, if any. */
    public void releaseConnection() {
        ClusterCounters.decrementToZero(counters.connections);
        wakeConnectionWaiter();
    }

    /**
     * Runs {@code wake} once, on whichever thread next gives a connection slot back (any generation of this
     * cluster): for a queued request, which must then hop to its own event loop and try
     * {@link #tryAcquireConnection()} again. A waiter registers again after a failed try, and cancels when it leaves
     * the queue.
     */
    public void onConnectionFreed(Runnable wake) {
        counters.slotWaiters.add(wake);
    }

    public void cancelConnectionWait(Runnable wake) {
        counters.slotWaiters.remove(wake);
    }

    /** Some request waits for a connection slot: an idle connection is better closed than kept. */
    public boolean hasConnectionWaiters() {
        return !counters.slotWaiters.isEmpty();
    }

    /** Passes a wake-up on to the next waiting request: a slot came back, or a waiter woken had already left. */
    public void wakeConnectionWaiter() {
        Runnable wake = counters.slotWaiters.poll();
        if (wake != null) {
            wake.run();
        }
    }

    /** Takes a slot of the retry budget (see the class comment); false (and counted) when it is spent. */
    public boolean tryAcquireRetry() {
        int allowed = Math.max(MIN_RETRY_CONCURRENCY, (int) (config.retries().budget() * counters.requests.get()));
        return acquire(counters.retries, allowed, Reason.RETRY_BUDGET);
    }

    public void releaseRetry() {
        ClusterCounters.decrementToZero(counters.retries);
    }

    /** Acquires refused for {@code reason} since this cluster name was first configured. */
    public long rejected(Reason reason) {
        return counters.rejected[reason.ordinal()].sum();
    }

    public int activeRequests() {
        return counters.requests.get();
    }

    public int pendingRequests() {
        return counters.pending.get();
    }

    public int connections() {
        return counters.connections.get();
    }

    public int retriesInFlight() {
        return counters.retries.get();
    }

    private boolean acquire(AtomicInteger counter, int limit, Reason reason) {
        if (ClusterCounters.tryIncrement(counter, limit)) {
            return true;
        }
        counters.rejected[reason.ordinal()].increment();
        return false;
    }

    // ---- status --------------------------------------------------------------------------------------------------

    /** The cluster for the admin API; ends expired ejections first so it never shows a stale one. */
    public ClusterSnapshot snapshot() {
        sweepIfDue();
        long now = context.ticker.read();
        List<EndpointSnapshot> list = new ArrayList<>(endpoints.size());
        for (Endpoint endpoint : endpoints) {
            list.add(endpoint.snapshot(now));
        }
        Map<Reason, Long> rejected = new EnumMap<>(Reason.class);
        for (Reason reason : Reason.values()) {
            rejected.put(reason, rejected(reason));
        }
        View v = availability.lastBuilt();
        return new ClusterSnapshot(name(), config.balancer(), config.failover(), v.available().size(), v.panic(),
                counters.requests.get(), counters.pending.get(), counters.connections.get(), counters.retries.get(),
                Collections.unmodifiableMap(rejected), List.copyOf(list));
    }

    ClusterContext context() {
        return context;
    }

    Optional<Cluster> asOptional() {
        return self;
    }

    @Override
    public String toString() {
        return "Cluster[" + name() + ", " + endpoints.size() + " endpoints]";
    }
}
