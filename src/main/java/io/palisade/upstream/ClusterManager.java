package io.palisade.upstream;

import io.palisade.tls.ClientTls;
import io.palisade.tls.UpstreamTls;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.ScheduledFuture;
import io.palisade.config.Address;
import io.palisade.upstream.health.HealthCheckConfig;
import io.palisade.time.Ticker;
import io.palisade.upstream.health.ActiveHealthChecker;
import io.palisade.upstream.health.HealthState;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live set of upstream clusters of one gateway process, with their active health checks.
 *
 * <pre>{@code
 * ClusterManager clusters = ClusterManager.create(workerGroup, Ticker.system());
 * clusters.onEndpointStateChange(metrics::endpointChanged);
 * clusters.apply(config.clusters());          // at start and on every reload
 * ...
 * Optional<Cluster> orders = clusters.cluster("orders");   // per request
 * ...
 * clusters.close();
 * }</pre>
 *
 * <p><b>Reloads.</b> {@link #apply} builds the whole new set and publishes it with one volatile write, so a request
 * sees either the old set or the new one, never a mix. Endpoints whose (cluster name, address) is unchanged keep their
 * health verdict, ejection and requests in flight, and a cluster name that stays keeps its circuit-limit counters;
 * active checks start for new endpoints, stop for removed ones and restart when the check config changed. A cluster
 * or endpoint that was removed still works for requests that already hold it.
 *
 * <p><b>Threading.</b> {@link #cluster}, {@link #clusters} and everything on {@link Cluster} and {@link Endpoint} are
 * lock-free and meant for event loops. {@link #apply} and {@link #close} are serialized with each other and do no
 * I/O (checks are scheduled on the checker group), so any thread may call them. Listeners run on the thread that
 * observed the change (often an event loop): they must be quick and must not block; one that throws is logged
 * (rate-limited) and the others still run.
 */
public final class ClusterManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterManager.class);
    /** How often expired ejections are ended when no traffic does it. */
    private static final Duration SWEEP_INTERVAL = Duration.ofSeconds(1);

    private record EndpointKey(String cluster, Address address) {}

    private final ClusterContext context;
    private final ActiveHealthChecker checker;
    private final ScheduledFuture<?> sweeper;
    // Guarded by this.
    private final Map<String, ClusterCounters> counters = new HashMap<>();
    private Map<EndpointKey, EndpointCore> cores = new HashMap<>();
    private boolean closed;

    private ClusterManager(EventLoopGroup group, Ticker ticker, ActiveHealthChecker checker) {
        this.context = new ClusterContext(ticker);
        this.checker = checker;
        this.sweeper = group.next().scheduleAtFixedRate(this::sweepAll, SWEEP_INTERVAL.toNanos(),
                SWEEP_INTERVAL.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * A manager whose active checks run on {@code checkerGroup} (an NIO group; see {@link Builder#transport} for
     * others) and whose time decisions (ejections) use {@code ticker}.
     */
    public static ClusterManager create(EventLoopGroup checkerGroup, Ticker ticker) {
        return builder(checkerGroup).ticker(ticker).build();
    }

    public static Builder builder(EventLoopGroup checkerGroup) {
        return new Builder(checkerGroup);
    }

    /** Options of a {@link ClusterManager}. */
    public static final class Builder {
        private final EventLoopGroup group;
        private Ticker ticker = Ticker.system();
        private Class<? extends SocketChannel> channelType;
        private AddressResolverGroup<? extends SocketAddress> resolver;

        private Builder(EventLoopGroup group) {
            this.group = Objects.requireNonNull(group, "checkerGroup");
        }

        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /**
         * The socket channel type matching the checker group (for example {@code EpollSocketChannel}) and the
         * asynchronous resolver to share with the connection pool; the caller closes the resolver. Without this the
         * group must be NIO and the manager makes (and closes) its own DNS resolver.
         */
        public Builder transport(Class<? extends SocketChannel> channelType,
                                 AddressResolverGroup<? extends SocketAddress> resolver) {
            this.channelType = Objects.requireNonNull(channelType, "channelType");
            this.resolver = Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        public ClusterManager build() {
            ActiveHealthChecker checker = channelType == null
                    ? ActiveHealthChecker.create(group)
                    : ActiveHealthChecker.create(group, channelType, resolver);
            return new ClusterManager(group, ticker, checker);
        }
    }

    /**
     * Replaces the set of clusters (see the class comment): {@code activate(List.of(prepare(clusters)))}.
     *
     * @throws IllegalArgumentException when a key differs from its config's name
     * @throws IllegalStateException    after {@link #close()}
     */
    public void apply(Map<String, ClusterConfig> clusters) {
        activate(List.of(prepare(clusters)));
    }

    /**
     * Builds the clusters of a config version without changing what serves: an endpoint whose (cluster name, address)
     * a serving version has shares its state, and a cluster name that stays shares its circuit-limit counters; new
     * endpoints start with no verdict and no active check until the set is activated.
     *
     * @param clusters by name; each key must equal its config's name
     * @throws IllegalArgumentException when a key differs from its config's name
     * @throws IllegalStateException    after {@link #close()}
     */
    public synchronized ClusterSet prepare(Map<String, ClusterConfig> clusters) {
        if (closed) {
            throw new IllegalStateException("cluster manager is closed");
        }
        for (Map.Entry<String, ClusterConfig> entry : clusters.entrySet()) {
            if (!entry.getKey().equals(entry.getValue().name())) {
                throw new IllegalArgumentException("cluster key " + entry.getKey() + " differs from its name "
                        + entry.getValue().name());
            }
        }
        Map<String, Cluster> next = new LinkedHashMap<>();
        for (ClusterConfig config : clusters.values()) {
            String name = config.name();
            ClusterCounters clusterCounters = counters.getOrDefault(name, new ClusterCounters());
            Map<Address, Integer> weights = new LinkedHashMap<>();
            for (EndpointConfig endpoint : config.endpoints()) {
                // A repeated address is one endpoint; its weights add up.
                weights.merge(endpoint.address(), Math.max(1, endpoint.weight()), Integer::sum);
            }
            List<EndpointCore> clusterCores = new ArrayList<>(weights.size());
            for (Address address : weights.keySet()) {
                EndpointCore core = cores.get(new EndpointKey(name, address));
                clusterCores.add(core != null ? core : new EndpointCore(name, address, clusterCounters));
            }
            next.put(name, new Cluster(config, clusterCores, List.copyOf(weights.values()), clusterCounters,
                    context));
        }
        return new ClusterSet(next);
    }

    /**
     * Makes {@code serving} the versions whose clusters take traffic, the first being the primary (its config decides
     * health and ejection, and {@link #cluster}, {@link #clusters} and {@link #snapshot} show it; a canary may serve
     * beside it): active checks start for their new endpoints, stop for endpoints no serving version has, and restart
     * when the primary's check config changed. Each set must come from {@link #prepare} of this manager, prepared after
     * the last activation that dropped any of its endpoints.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public synchronized void activate(List<ClusterSet> serving) {
        if (closed) {
            throw new IllegalStateException("cluster manager is closed");
        }
        if (serving.isEmpty()) {
            throw new IllegalArgumentException("serving sets: none (expected: at least the primary)");
        }
        Map<EndpointKey, EndpointCore> nextCores = new HashMap<>();
        Map<String, ClusterCounters> nextCounters = new HashMap<>();
        Map<EndpointCore, List<Cluster>> holders = new IdentityHashMap<>();
        for (ClusterSet set : serving) {
            for (Cluster cluster : set.clusters()) {
                nextCounters.putIfAbsent(cluster.name(), cluster.counters());
                for (Endpoint endpoint : cluster.endpoints()) {
                    EndpointCore core = endpoint.core();
                    nextCores.putIfAbsent(new EndpointKey(core.cluster, core.address), core);
                    holders.computeIfAbsent(core, c -> new ArrayList<>(2)).add(cluster);
                }
            }
        }
        holders.forEach((core, list) -> {
            core.owner = list.get(0);
            core.alsoIn = list.subList(1, list.size()).toArray(Cluster[]::new);
        });
        holders.forEach((core, list) -> reconcileCheck(core, list.get(0).config().healthCheck(), list.get(0).tls()));
        ClusterSet primary = serving.get(0);
        context.clusters = primary;
        context.serving = List.copyOf(serving);
        // States may have changed between building a view and switching owners; rebuild against the final owners.
        for (ClusterSet set : serving) {
            for (Cluster cluster : set.clusters()) {
                cluster.refresh();
            }
        }

        long now = context.ticker.read();
        for (Map.Entry<EndpointKey, EndpointCore> entry : cores.entrySet()) {
            if (nextCores.get(entry.getKey()) != entry.getValue()) {
                retire(entry.getValue(), now);
            }
        }
        cores = nextCores;
        counters.clear();
        counters.putAll(nextCounters);
    }

    private void reconcileCheck(EndpointCore core, Optional<HealthCheckConfig> wanted, Optional<ClientTls> tls) {
        Optional<UpstreamTls> tlsSettings = tls.map(ClientTls::settings);
        if (Objects.equals(core.checkConfig, wanted.orElse(null)) && core.checkTls.equals(tlsSettings)) {
            return;
        }
        stopCheck(core);
        if (wanted.isPresent()) {
            core.checkConfig = wanted.get();
            core.checkTls = tlsSettings;
            core.check = checker.start(core.address, wanted.get(), tls,
                    result -> core.owner.probed(core, result));
            return;
        }
        boolean ejected = core.outlier.isEjected();
        HealthState before = core.health.reset();
        if (before != HealthState.UNKNOWN) {
            context.publish(new EndpointEvent(core.cluster, core.address, new EndpointStatus(before, ejected),
                    new EndpointStatus(HealthState.UNKNOWN, ejected), EndpointEvent.Reason.CONFIG,
                    "active health check removed"));
        }
    }

    private static void stopCheck(EndpointCore core) {
        if (core.check != null) {
            core.check.close();
            core.check = null;
            core.checkConfig = null;
            core.checkTls = Optional.empty();
        }
    }

    private static void retire(EndpointCore core, long now) {
        core.retired = true;
        stopCheck(core);
        if (core.outlier.forceRecover(now)) {
            core.counters.releaseEjection();
        }
    }

    /** The cluster named {@code name}; a map lookup that allocates nothing. */
    public Optional<Cluster> cluster(String name) {
        return context.clusters.cluster(name);
    }

    /** The current clusters, in config order; an immutable view of one generation. */
    public Collection<Cluster> clusters() {
        return context.clusters.clusters();
    }

    /** The primary serving set (empty before the first activation). */
    public ClusterSet primary() {
        return context.clusters;
    }

    /** Snapshots of all current clusters, for the admin API. */
    public List<ClusterSnapshot> snapshot() {
        List<ClusterSnapshot> out = new ArrayList<>();
        for (Cluster cluster : context.clusters.clusters()) {
            out.add(cluster.snapshot());
        }
        return List.copyOf(out);
    }

    /** Calls {@code listener} on every endpoint status change from now on (see the class comment for threading). */
    public void onEndpointStateChange(Consumer<EndpointEvent> listener) {
        context.addListener(Objects.requireNonNull(listener, "listener"));
    }

    /** Stops all active checks and the ejection sweep. Clusters already handed out keep answering picks. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        sweeper.cancel(false);
        for (EndpointCore core : cores.values()) {
            stopCheck(core);
        }
        checker.close();
    }

    private void sweepAll() {
        try {
            for (ClusterSet set : context.serving) {
                for (Cluster cluster : set.clusters()) {
                    cluster.sweepIfDue();
                }
            }
        } catch (RuntimeException e) {
            // A periodic task that throws is never run again; log and keep sweeping.
            LOG.warn("ejection sweep failed", e);
        }
    }
}
