package io.palisade.proxy;

import io.palisade.filter.GatewayFilter;
import io.palisade.upstream.ClusterConfig;
import io.palisade.server.ServerLimits;
import io.palisade.route.RouteConfig;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.route.RouteTable;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a request needs from one config version, resolved once at load: the route table, per-route limits and
 * metric handles, and the filter chain. Immutable; a reload builds a new one and swaps it in whole, and each request
 * keeps the snapshot it started with.
 */
public final class GatewaySnapshot {
    private final String version;
    private final ServerLimits serverLimits;
    private final RouteTable routes;
    private final IdentityHashMap<RouteConfig, RouteRuntime> byConfig = new IdentityHashMap<>();
    private final RouteRuntime unmatched;
    private final GatewayFilter[] filters;

    private GatewaySnapshot(Parts p, GatewayMetrics metrics) {
        this.version = p.version();
        this.serverLimits = p.serverLimits();
        this.routes = RouteTable.of(p.routes());
        long serverMax = p.serverLimits().maxBody();
        List<RouteConfig> rs = p.routes();
        for (int i = 0; i < rs.size(); i++) {
            RouteConfig r = rs.get(i);
            // Requests are counted by the outcome subscriber; made here, each route's series is there from load.
            metrics.route(r.id());
            RouteRuntime runtime = new RouteRuntime(i, r,
                    Math.min(serverMax, r.request().maxBody().orElse(serverMax)), r.request().requireBody(),
                    requestTimeout(p.clusters(), r), r.idleTimeout());
            byConfig.put(r, runtime);
        }
        metrics.route(RouteConfig.unmatched().id());
        this.unmatched = new RouteRuntime(-1, RouteConfig.unmatched(), serverMax, false, 0, Optional.empty());
        this.filters = p.filters().toArray(GatewayFilter[]::new);
    }

    /**
     * What a snapshot is made of, taken from one config version by the composition root.
     *
     * @param version  the config version these parts come from, as logs and metrics name it
     * @param filters  the policy chain, in order (e.g. ip limits, auth, rate limits); validation and routing are
     *                 built in
     */
    public record Parts(String version, List<RouteConfig> routes, Map<String, ClusterConfig> clusters,
                        ServerLimits serverLimits, List<GatewayFilter> filters) {
        public Parts {
            routes = List.copyOf(routes);
            clusters = Map.copyOf(clusters);
            filters = List.copyOf(filters);
        }
    }

    public static GatewaySnapshot build(Parts parts, GatewayMetrics metrics) {
        return new GatewaySnapshot(parts, metrics);
    }

    /** The config version this snapshot serves. */
    public String version() {
        return version;
    }

    /** The server limits of this version (the protocol handlers read them per connection). */
    public ServerLimits serverLimits() {
        return serverLimits;
    }

    RouteTable routes() {
        return routes;
    }

    RouteRuntime route(RouteConfig matched) {
        return byConfig.get(matched);
    }

    RouteRuntime unmatched() {
        return unmatched;
    }

    GatewayFilter[] filters() {
        return filters;
    }

    /** A route with what the hot path needs resolved. */
    record RouteRuntime(int index, RouteConfig config, long maxBody, boolean requireBody, long requestTimeoutNanos,
                        Optional<Duration> idleTimeout) {}

    /** The route's own request timeout, else its cluster's: resolved once here, not per request. */
    private static long requestTimeout(Map<String, ClusterConfig> clusters, RouteConfig r) {
        if (r.requestTimeout().isPresent()) {
            return r.requestTimeout().get().toNanos();
        }
        ClusterConfig cluster = clusters.get(r.cluster());
        return cluster.timeouts().request().toNanos();
    }
}
