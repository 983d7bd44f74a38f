package io.palisade.proxy;

import io.palisade.filter.GatewayFilter;
import io.palisade.upstream.ClusterSet;
import io.palisade.server.ServerConfig;
import io.palisade.route.IngestAction;
import io.palisade.route.RouteConfig;
import io.palisade.route.RouteTable;
import java.time.Duration;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a request needs from one config version, resolved once at load: the route table, per-route limits and
 * metric handles, the filter chain and the clusters. Immutable and built without side effects, so a candidate can be
 * built, probed and dropped; a release swaps it in whole (or serves it beside the primary as a canary), and each
 * request keeps the snapshot it started with.
 */
public final class GatewaySnapshot {
    /** An ingest route without {@code timeouts.request}: time enough for a slow client's megabyte. */
    static final Duration DEFAULT_INGEST_TIMEOUT = Duration.ofSeconds(30);
    private final String version;
    private final ServerConfig server;
    private final ClusterSet clusters;
    private final RouteTable routes;
    private final IdentityHashMap<RouteConfig, RouteRuntime> byConfig = new IdentityHashMap<>();
    private final RouteRuntime unmatched;
    private final GatewayFilter[] filters;
    /** {@code auth.api_key.query}, whose values the access log hides; null when keys are not read from the query. */
    private final String apiKeyQueryParam;
    private final IngestTarget ingest;

    private GatewaySnapshot(Parts p) {
        this.version = p.version();
        this.server = p.server();
        this.clusters = p.clusters();
        this.routes = RouteTable.of(p.routes());
        long serverMax = p.server().limits().maxBody();
        List<RouteConfig> rs = p.routes();
        for (int i = 0; i < rs.size(); i++) {
            RouteConfig r = rs.get(i);
            long maxBody = Math.min(serverMax, r.request().maxBody().orElse(serverMax));
            boolean requireBody = r.request().requireBody();
            IngestAction ingestAction = r.ingest().orElse(null);
            if (ingestAction != null) {
                maxBody = Math.min(maxBody, ingestAction.maxRecord());
                requireBody |= !ingestAction.acceptEmpty();
            }
            RouteRuntime runtime = new RouteRuntime(i, r, maxBody, requireBody,
                    RouteClusters.resolve(r, p.clusters()), r.idleTimeout(), ingestAction,
                    r.requestTimeout().orElse(DEFAULT_INGEST_TIMEOUT).toNanos());
            byConfig.put(r, runtime);
        }
        this.unmatched = new RouteRuntime(-1, RouteConfig.unmatched(), serverMax, false, RouteClusters.none(),
                Optional.empty(), null, 0);
        this.filters = p.filters().toArray(GatewayFilter[]::new);
        this.apiKeyQueryParam = p.apiKeyQueryParam().orElse(null);
        this.ingest = p.ingest();
    }

    /**
     * What a snapshot is made of, taken from one config version by the composition root.
     *
     * @param version  the config version these parts come from, as logs and metrics name it
     * @param clusters the version's clusters ({@code ClusterManager.prepare}); every route's clusters are in it
     * @param filters  the policy chain, in order (e.g. ip limits, auth, rate limits); validation and routing are
     *                 built in
     * @param apiKeyQueryParam the query parameter API keys may come in, whose values the access log redacts
     * @param ingest   where the version's ingest routes keep their requests (the same long-lived store for every
     *                 version: records outlive the config that accepted them)
     */
    public record Parts(String version, List<RouteConfig> routes, ClusterSet clusters, ServerConfig server,
                        List<GatewayFilter> filters, Optional<String> apiKeyQueryParam, IngestTarget ingest) {
        public Parts {
            routes = List.copyOf(routes);
            filters = List.copyOf(filters);
        }

        /** Parts of a version without ingest routes. */
        public Parts(String version, List<RouteConfig> routes, ClusterSet clusters, ServerConfig server,
                     List<GatewayFilter> filters, Optional<String> apiKeyQueryParam) {
            this(version, routes, clusters, server, filters, apiKeyQueryParam, IngestTarget.unavailable());
        }
    }

    public static GatewaySnapshot build(Parts parts) {
        return new GatewaySnapshot(parts);
    }

    /** The config version this snapshot serves. */
    public String version() {
        return version;
    }

    /** The server settings of this version (the protocol handlers read them per connection). */
    public ServerConfig server() {
        return server;
    }

    /** The clusters this version routes to (failover stays within them). */
    public ClusterSet clusters() {
        return clusters;
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

    String apiKeyQueryParam() {
        return apiKeyQueryParam;
    }

    IngestTarget ingest() {
        return ingest;
    }

    /**
     * A route with what the hot path needs resolved.
     *
     * @param clusters its weighted clusters in this snapshot, with the request timeout of each
     * @param ingest   the route's ingest action, or null on a proxying route
     * @param ingestTimeoutNanos on an ingest route, how long receiving the body and storing it may take
     */
    record RouteRuntime(int index, RouteConfig config, long maxBody, boolean requireBody, RouteClusters clusters,
                        Optional<Duration> idleTimeout, IngestAction ingest, long ingestTimeoutNanos) {}
}
