package io.palisade.proxy;

import io.palisade.config.ClusterConfig;
import io.palisade.config.GatewayConfig;
import io.palisade.config.RouteConfig;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.route.RouteTable;
import java.time.Duration;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a request needs from one config version, resolved once at load: the route table, per-route limits and
 * metric handles, and the filter chain. Immutable; a reload builds a new one and swaps it in whole, and each request
 * keeps the snapshot it started with.
 */
public final class GatewaySnapshot {
    private final GatewayConfig config;
    private final RouteTable routes;
    private final IdentityHashMap<RouteConfig, RouteRuntime> byConfig = new IdentityHashMap<>();
    private final RouteRuntime unmatched;
    private final GatewayFilter[] filters;

    private GatewaySnapshot(GatewayConfig config, List<GatewayFilter> filters, GatewayMetrics metrics) {
        this.config = config;
        this.routes = RouteTable.of(config.routes());
        long serverMax = config.server().limits().maxBody();
        List<RouteConfig> rs = config.routes();
        for (int i = 0; i < rs.size(); i++) {
            RouteConfig r = rs.get(i);
            RouteRuntime runtime = new RouteRuntime(i, r, metrics.route(r.id()),
                    Math.min(serverMax, r.request().maxBody().orElse(serverMax)), r.request().requireBody(),
                    requestTimeout(config, r), r.idleTimeout());
            byConfig.put(r, runtime);
        }
        this.unmatched = new RouteRuntime(-1, RouteConfig.unmatched(), metrics.route(RouteConfig.unmatched().id()),
                serverMax, false, 0, Optional.empty());
        this.filters = filters.toArray(GatewayFilter[]::new);
    }

    /**
     * @param filters the policy chain, in order (e.g. ip limits, auth, rate limits); validation and routing are
     *                built in
     */
    public static GatewaySnapshot build(GatewayConfig config, List<GatewayFilter> filters, GatewayMetrics metrics) {
        return new GatewaySnapshot(config, filters, metrics);
    }

    public GatewayConfig config() {
        return config;
    }

    RouteTable routes() {
        return routes;
    }

    /** The route label of every route of this snapshot, the unmatched route's included. */
    public Set<String> routeIds() {
        Set<String> ids = new HashSet<>();
        for (RouteConfig r : byConfig.keySet()) {
            ids.add(r.id());
        }
        ids.add(unmatched.config().id());
        return ids;
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
    record RouteRuntime(int index, RouteConfig config, GatewayMetrics.RouteMetrics metrics, long maxBody,
                        boolean requireBody, long requestTimeoutNanos, Optional<Duration> idleTimeout) {}

    /** The route's own request timeout, else its cluster's: resolved once here, not per request. */
    private static long requestTimeout(GatewayConfig config, RouteConfig r) {
        if (r.requestTimeout().isPresent()) {
            return r.requestTimeout().get().toNanos();
        }
        ClusterConfig cluster = config.clusters().get(r.cluster());
        return cluster.timeouts().request().toNanos();
    }
}
