package io.palisade.route;

import io.palisade.auth.RoutePolicy;
import io.palisade.ratelimit.RouteLimits;
import io.palisade.upstream.ClusterConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * @param id             {@code name} if written, else {@code routes[i]}; the route label in metrics and logs
 * @param clusters       where the route sends requests, each request to one of them by weight ({@code clusters:});
 *                       {@code cluster: NAME} is the one entry {@code (NAME, 100)}
 * @param requestTimeout overrides the cluster's {@code timeouts.request}
 * @param idleTimeout    overrides the cluster's {@code timeouts.idle} for this route's exchanges
 * @param auth           who may call this route ({@code auth:}); {@link RoutePolicy#none()} when absent
 * @param limits         rate limits and per-consumer concurrency ({@code rate_limits:}, {@code concurrency:})
 * @param ingest         present on an ingest route ({@code ingest:}): requests are stored and answered 202, then
 *                       delivered to the action's cluster later; {@code clusters} is then empty
 * @param websocketIdle  present when the route tunnels WebSocket upgrades ({@code websocket: true}): how long a
 *                       tunnel may carry nothing either way before the gateway closes it
 *                       ({@code timeouts.websocket_idle})
 */
public record RouteConfig(String id, RouteMatch match, List<WeightedCluster> clusters, boolean stripPrefix,
                          Optional<Duration> requestTimeout, Optional<Duration> idleTimeout,
                          RequestPolicy request, RoutePolicy auth, RouteLimits limits, Optional<IngestAction> ingest,
                          Optional<Duration> websocketIdle) {
    /** How long a WebSocket tunnel may stay silent both ways when the route does not say. */
    public static final Duration DEFAULT_WEBSOCKET_IDLE = Duration.ofMinutes(10);

    private static final RouteConfig UNMATCHED = new RouteConfig("unmatched",
            new RouteMatch(Optional.empty(), Optional.empty(), Set.of(), Optional.empty(), Map.of()), List.of(),
            false, Optional.empty(), Optional.empty(), new RequestPolicy(Optional.empty(), false), RoutePolicy.none(),
            RouteLimits.none(), Optional.empty(), Optional.empty());

    public RouteConfig {
        clusters = List.copyOf(clusters);
    }

    /** A proxying route (no {@code ingest:} action). */
    public RouteConfig(String id, RouteMatch match, List<WeightedCluster> clusters, boolean stripPrefix,
                       Optional<Duration> requestTimeout, Optional<Duration> idleTimeout, RequestPolicy request,
                       RoutePolicy auth, RouteLimits limits) {
        this(id, match, clusters, stripPrefix, requestTimeout, idleTimeout, request, auth, limits, Optional.empty(),
                Optional.empty());
    }

    /** A route without WebSocket tunnels. */
    public RouteConfig(String id, RouteMatch match, List<WeightedCluster> clusters, boolean stripPrefix,
                       Optional<Duration> requestTimeout, Optional<Duration> idleTimeout, RequestPolicy request,
                       RoutePolicy auth, RouteLimits limits, Optional<IngestAction> ingest) {
        this(id, match, clusters, stripPrefix, requestTimeout, idleTimeout, request, auth, limits, ingest,
                Optional.empty());
    }

    /** Whether the route tunnels WebSocket upgrades ({@code websocket: true}). */
    public boolean websocket() {
        return websocketIdle.isPresent();
    }

    /** The route label of requests that matched no route (404, 405, unusable paths), in metrics and logs. */
    public static RouteConfig unmatched() {
        return UNMATCHED;
    }

    /** The clusters that take a share of the traffic (weight above 0), in config order. */
    public List<String> servingClusters() {
        List<String> out = new ArrayList<>(clusters.size());
        for (WeightedCluster c : clusters) {
            if (c.weight() > 0) {
                out.add(c.name());
            }
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * Every cluster this route can send a request to: the {@linkplain #servingClusters() serving} ones (or an ingest
     * route's delivery cluster), then down
     * each one's {@code failover} chain the clusters it fails over to, each once. A cluster of weight 0 is in it only
     * when a serving one fails over to it.
     *
     * <pre>{@code
     * Set<String> reachable = route.reachableClusters(config.clusters());  // e.g. [orders-eu, orders-us, orders-dr]
     * }</pre>
     *
     * @param clusters the config's clusters by name, whose {@code failover} is followed
     */
    public Set<String> reachableClusters(Map<String, ClusterConfig> clusters) {
        Set<String> out = new LinkedHashSet<>();
        List<String> starts = new ArrayList<>(servingClusters());
        ingest.ifPresent(action -> starts.add(action.cluster()));
        for (String serving : starts) {
            String name = serving;
            // Validation refuses failover cycles; the set also stops one, so a bad map cannot loop here.
            while (name != null && out.add(name)) {
                ClusterConfig config = clusters.get(name);
                name = config == null ? null : config.failover().orElse(null);
            }
        }
        return Collections.unmodifiableSet(out);
    }
}
