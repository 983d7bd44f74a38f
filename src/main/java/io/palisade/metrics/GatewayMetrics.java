package io.palisade.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Every metric the gateway exports, named in one place. Each gateway instance has its own registry so several can run
 * in one JVM (tests); {@link #scrape()} renders the Prometheus text format for the admin port.
 *
 * <p>Hot-path recording goes through per-route handles ({@link #route}) that cache their label children, so a request
 * costs a few atomic adds and no label lookup.
 *
 * <p>Labels that name config (routes, clusters, consumers) follow reloads: {@link #retainOnly} removes the children
 * of those a reload dropped, and from then on nothing creates them again. A request still in flight on the old config
 * records into the removed children it already held (exported nowhere) or, for a child it has not created yet, into
 * nothing: a few counts lost at a reload, rather than series that would otherwise stay in every scrape for good.
 */
public final class GatewayMetrics {
    private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    private static final double[] LATENCY_BUCKETS = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
    };

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Histogram latency;
    private final Counter rejections;
    private final Counter upstreamFailures;
    private final Counter configReloads;
    private final Counter authDecisions;
    private final Counter versionRequests;
    private final Counter tlsHandshakes;
    private final Counter tlsHandshakeFailures;
    /** Per config version: [answered, failed]. At most two versions serve at once, so this stays tiny. */
    private final ConcurrentHashMap<String, CounterDataPoint[]> versionChildren = new ConcurrentHashMap<>();
    /** The versions serving now; null until the first {@link #retainVersions}: all allowed. */
    private volatile Set<String> servingVersions;
    private final ConcurrentHashMap<String, RouteMetrics> routes = new ConcurrentHashMap<>();
    /** Serialises creating label children that name config with {@link #retainOnly} removing them. */
    private final Object configLabels = new Object();
    /** The live config's cluster and consumer labels; null until the first {@link #retainOnly}: all allowed. */
    private volatile Set<String> liveRoutes;
    private final RouteMetrics retiredRoute = new RouteMetrics();
    private volatile Set<String> liveClusters;
    private volatile Set<String> liveConsumers;
    /** Cluster, then kind. */
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, CounterDataPoint>> upstreamFailureChildren =
            new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CounterDataPoint> rejectionChildren = new ConcurrentHashMap<>();
    /** Route, then outcome, then consumer. */
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, ConcurrentHashMap<String, CounterDataPoint>>>
            authDecisionChildren = new ConcurrentHashMap<>();

    public GatewayMetrics() {
        requests = Counter.builder().name("palisade_requests_total")
                .help("Requests answered, by route, serving cluster and status class.")
                .labelNames("route", "cluster", "code_class").withoutExemplars().register(registry);
        latency = Histogram.builder().name("palisade_request_duration_seconds")
                .help("Time from the request head to the last byte of the response, by route.")
                .labelNames("route").classicOnly().classicUpperBounds(LATENCY_BUCKETS).withoutExemplars()
                .register(registry);
        rejections = Counter.builder().name("palisade_rejections_total")
                .help("Requests the gateway answered itself with an error, by reason (the error code).")
                .labelNames("reason").withoutExemplars().register(registry);
        upstreamFailures = Counter.builder().name("palisade_upstream_failures_total")
                .help("Failed upstream attempts, by cluster and kind (connect, timeout, reset, 5xx).")
                .labelNames("cluster", "kind").withoutExemplars().register(registry);
        authDecisions = Counter.builder().name("palisade_auth_decisions_total")
                .help("Auth decisions on routes that need auth, by route, outcome (allowed, unauthenticated,"
                        + " forbidden, unavailable) and configured consumer.")
                .labelNames("route", "outcome", "consumer").withoutExemplars().register(registry);
        versionRequests = Counter.builder().name("palisade_config_version_requests_total")
                .help("Requests answered, by the config version that served them and result (ok; failed: 5xx or"
                        + " cut), so a canary and its baseline can be compared on a dashboard.")
                .labelNames("config_version", "result").withoutExemplars().register(registry);
        gauge("palisade_jvm_heap_used_bytes", "Heap in use (after the last collection it is what the gateway"
                + " keeps: limiter tables, caches, connections).",
                cb -> cb.call(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed()));
        gauge("palisade_jvm_heap_max_bytes", "The heap's limit (-Xmx).",
                cb -> cb.call(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax()));
        tlsHandshakes = Counter.builder().name("palisade_tls_handshakes_total")
                .help("TLS handshakes completed on a listener (data listeners by name, the admin port as admin), by"
                        + " negotiated version and the application protocol that serves (h2, http/1.1).")
                .labelNames("listener", "version", "protocol").withoutExemplars().register(registry);
        tlsHandshakeFailures = Counter.builder().name("palisade_tls_handshake_failures_total")
                .help("TLS handshakes that failed, by listener and reason (timeout, closed, not_tls,"
                        + " protocol_version, no_shared_cipher, client_certificate, bad_certificate, other).")
                .labelNames("listener", "reason").withoutExemplars().register(registry);
        configReloads = Counter.builder().name("palisade_config_reloads_total")
                .help("Config reloads by result (ok, invalid).").labelNames("result").withoutExemplars()
                .register(registry);
    }

    /**
     * The upper bounds, in seconds, of {@code palisade_request_duration_seconds}'s buckets (without +Inf), for tools
     * that build queries on them ({@code palisade slo rules}).
     */
    public static List<Double> latencyBuckets() {
        return Arrays.stream(LATENCY_BUCKETS).boxed().toList();
    }

    /** Registers a gauge whose values are read at scrape time (connections, pools, endpoint health). */
    public void gauge(String name, String help, Consumer<GaugeWithCallback.Callback> callback, String... labels) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(labels).callback(callback).register(registry);
    }

    /** Registers a counter whose value is read at scrape time from a capability's own counters. */
    public void counter(String name, String help, Consumer<CounterWithCallback.Callback> callback, String... labels) {
        CounterWithCallback.builder().name(name).help(help).labelNames(labels).callback(callback).register(registry);
    }

    /**
     * The handles of one route, made on first use and kept: every request's outcome looks its route up here, so a
     * known route costs one map read and no label lookup. A route the live config does not have (an outcome of a
     * request in flight across the reload that removed it) gets a retired handle that records nothing, so its series
     * are not created again.
     */
    public RouteMetrics route(String routeId) {
        RouteMetrics m = routes.get(routeId);
        if (m != null) {
            return m;
        }
        synchronized (configLabels) {
            Set<String> live = liveRoutes;
            if (live != null && !live.contains(routeId)) {
                return retiredRoute;
            }
            return routes.computeIfAbsent(routeId, RouteMetrics::new);
        }
    }

    /**
     * After a reload made a config live: removes the label children of every route, cluster and consumer it no longer
     * has, and keeps them from being created again by requests in flight on the old config. Route handles of routes
     * not in {@code routeIds} are retired; {@link #route} makes a new one if a later config brings the route back.
     *
     * @param routeIds  every route label of the live config (the unmatched route's too)
     * @param clusters  its cluster names ({@code ""}, no cluster chosen, is always kept)
     * @param consumers its consumer ids ({@code "-"}, none or not configured, is always kept)
     */
    public void retainOnly(Set<String> routeIds, Set<String> clusters, Set<String> consumers) {
        Set<String> routeSet = Set.copyOf(routeIds);
        Set<String> clusterSet = with(clusters, "");
        Set<String> consumerSet = with(consumers, "-");
        synchronized (configLabels) {
            liveRoutes = routeSet;
            liveClusters = clusterSet;
            liveConsumers = consumerSet;
            routes.values().removeIf(r -> {
                if (!routeSet.contains(r.routeId)) {
                    r.retired = true;
                    return true;
                }
                r.byCluster.keySet().retainAll(clusterSet);
                return false;
            });
            authDecisionChildren.keySet().retainAll(routeSet);
            authDecisionChildren.values().forEach(byOutcome ->
                    byOutcome.values().forEach(byConsumer -> byConsumer.keySet().retainAll(consumerSet)));
            upstreamFailureChildren.keySet().retainAll(clusterSet);
            requests.removeIf(l -> !routeSet.contains(l.get(0)) || !clusterSet.contains(l.get(1)));
            latency.removeIf(l -> !routeSet.contains(l.get(0)));
            authDecisions.removeIf(l -> !routeSet.contains(l.get(0)) || !consumerSet.contains(l.get(2)));
            upstreamFailures.removeIf(l -> !clusterSet.contains(l.get(0)));
            // Each live route's series are there from activation, before its first request.
            routeSet.forEach(id -> routes.computeIfAbsent(id, RouteMetrics::new));
        }
    }

    private static Set<String> with(Set<String> labels, String always) {
        Set<String> out = new HashSet<>(labels);
        out.add(always);
        return Set.copyOf(out);
    }

    private static boolean live(Set<String> liveLabels, String label) {
        return liveLabels == null || liveLabels.contains(label);
    }

    /** One answered request of config version {@code version}; failed when the gateway-visible result failed. */
    public void versionRequest(String version, boolean failed) {
        CounterDataPoint[] c = versionChildren.get(version);
        if (c == null) {
            synchronized (configLabels) {
                Set<String> serving = servingVersions;
                if (serving != null && !serving.contains(version)) {
                    // A request that finished after its version stopped serving: its series stay gone.
                    return;
                }
                c = versionChildren.computeIfAbsent(version, v -> new CounterDataPoint[] {
                    versionRequests.labelValues(v, "ok"), versionRequests.labelValues(v, "failed")});
            }
        }
        c[failed ? 1 : 0].inc();
    }

    /** Drops the series of versions that serve no more (a rolled-back canary, a superseded version). */
    public void retainVersions(Set<String> serving) {
        synchronized (configLabels) {
            servingVersions = Set.copyOf(serving);
            versionChildren.keySet().removeIf(v -> {
                if (serving.contains(v)) {
                    return false;
                }
                versionRequests.remove(v, "ok");
                versionRequests.remove(v, "failed");
                return true;
            });
        }
    }

    public void rejected(String reason) {
        rejectionChildren.computeIfAbsent(reason, r -> rejections.labelValues(r)).inc();
    }

    public void upstreamFailure(String cluster, String kind) {
        ConcurrentHashMap<String, CounterDataPoint> byKind = upstreamFailureChildren.get(cluster);
        CounterDataPoint child = byKind == null ? null : byKind.get(kind);
        if (child == null) {
            synchronized (configLabels) {
                if (!live(liveClusters, cluster)) {
                    return; // a cluster a reload removed, failing a request still in flight on the old config
                }
                child = upstreamFailureChildren.computeIfAbsent(cluster, c -> new ConcurrentHashMap<>())
                        .computeIfAbsent(kind, k -> upstreamFailures.labelValues(cluster, k));
            }
        }
        child.inc();
    }

    public void authDecision(String route, String outcome, String consumer) {
        // Every authenticated request lands here: nested lookups by the label strings allocate nothing, where
        // labelValues builds and hashes a label list per call.
        ConcurrentHashMap<String, ConcurrentHashMap<String, CounterDataPoint>> byOutcome =
                authDecisionChildren.get(route);
        ConcurrentHashMap<String, CounterDataPoint> byConsumer = byOutcome == null ? null : byOutcome.get(outcome);
        CounterDataPoint child = byConsumer == null ? null : byConsumer.get(consumer);
        if (child == null) {
            synchronized (configLabels) {
                if (!routes.containsKey(route) || !live(liveConsumers, consumer)) {
                    return; // a route or consumer a reload removed, decided for a request on the old config
                }
                child = authDecisionChildren.computeIfAbsent(route, r -> new ConcurrentHashMap<>())
                        .computeIfAbsent(outcome, o -> new ConcurrentHashMap<>())
                        .computeIfAbsent(consumer, c -> authDecisions.labelValues(route, outcome, c));
            }
        }
        child.inc();
    }

    /** A completed TLS handshake; labels are few (listeners, two versions, two protocols). */
    public void tlsHandshake(String listener, String version, String protocol) {
        tlsHandshakes.labelValues(listener, version, protocol).inc();
    }

    /** A failed TLS handshake; {@code reason} is one of the few words its help lists. */
    public void tlsHandshakeFailed(String listener, String reason) {
        tlsHandshakeFailures.labelValues(listener, reason).inc();
    }

    public void configReload(boolean ok) {
        configReloads.labelValues(ok ? "ok" : "invalid").inc();
    }

    public String scrape() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
            PrometheusTextFormatWriter.create().write(out, registry.scrape(), null);
            return out.toString(java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    /** Cached label children for one route. */
    public final class RouteMetrics {
        private final String routeId;
        private final DistributionDataPoint latencyChild;
        private final ConcurrentHashMap<String, CounterDataPoint[]> byCluster = new ConcurrentHashMap<>();
        /** A reload removed the route: its children are gone from the registry and none is created again. */
        private volatile boolean retired;

        private RouteMetrics(String routeId) {
            this.routeId = routeId;
            this.latencyChild = latency.labelValues(routeId);
        }

        /** The handle of routes the live config does not have: it records nothing and registers no series. */
        private RouteMetrics() {
            this.routeId = "";
            this.latencyChild = null;
            this.retired = true;
        }

        /** Records one answered request; {@code cluster} is "" when none was chosen (404, auth failure...). */
        public void record(String cluster, int status, long nanos) {
            if (retired) {
                return;
            }
            CounterDataPoint[] children = byCluster.get(cluster);
            if (children == null) {
                children = newChildren(cluster);
            }
            if (children != null) {
                int cls = Math.min(Math.max(status / 100, 1), 5) - 1;
                children[cls].inc();
            }
            latencyChild.observe(nanos / 1e9);
        }

        /** Null for a retired route or a cluster a reload removed: see the class comment. */
        private CounterDataPoint[] newChildren(String cluster) {
            synchronized (configLabels) {
                if (retired || !live(liveClusters, cluster)) {
                    return null;
                }
                return byCluster.computeIfAbsent(cluster, c -> {
                    CounterDataPoint[] arr = new CounterDataPoint[STATUS_CLASSES.length];
                    for (int i = 0; i < arr.length; i++) {
                        arr[i] = requests.labelValues(routeId, c, STATUS_CLASSES[i]);
                    }
                    return arr;
                });
            }
        }
    }
}
