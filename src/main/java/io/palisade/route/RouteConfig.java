package io.palisade.route;

import io.palisade.auth.RoutePolicy;
import io.palisade.ratelimit.RouteLimits;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * @param id             {@code name} if written, else {@code routes[i]}; the route label in metrics and logs
 * @param requestTimeout overrides the cluster's {@code timeouts.request}
 * @param idleTimeout    overrides the cluster's {@code timeouts.idle} for this route's exchanges
 * @param auth           who may call this route ({@code auth:}); {@link RoutePolicy#none()} when absent
 * @param limits         rate limits and per-consumer concurrency ({@code rate_limits:}, {@code concurrency:})
 */
public record RouteConfig(String id, RouteMatch match, String cluster, boolean stripPrefix,
                          Optional<Duration> requestTimeout, Optional<Duration> idleTimeout,
                          RequestPolicy request, RoutePolicy auth, RouteLimits limits) {
    private static final RouteConfig UNMATCHED = new RouteConfig("unmatched",
            new RouteMatch(Optional.empty(), Optional.empty(), Set.of(), Optional.empty(), Map.of()), "", false,
            Optional.empty(), Optional.empty(), new RequestPolicy(Optional.empty(), false), RoutePolicy.none(),
            RouteLimits.none());

    /** The route label of requests that matched no route (404, 405, unusable paths), in metrics and logs. */
    public static RouteConfig unmatched() {
        return UNMATCHED;
    }
}
