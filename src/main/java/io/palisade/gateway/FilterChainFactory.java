package io.palisade.gateway;

import io.palisade.auth.AuthFilter;
import io.palisade.auth.AuthService;
import io.palisade.auth.BreakerState;
import io.palisade.upstream.ClusterConfig;
import io.palisade.route.RouteConfig;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.filter.GatewayFilter;
import io.palisade.ratelimit.AdaptiveConcurrency;
import io.palisade.ratelimit.AdaptiveConcurrencySettings;
import io.palisade.ratelimit.ConcurrencyFilter;
import io.palisade.ratelimit.ConcurrencyLimiter;
import io.palisade.ratelimit.Phase;
import io.palisade.ratelimit.RateLimitFilter;
import io.palisade.ratelimit.RateLimiter;
import io.palisade.ratelimit.RateLimitSettings;
import io.palisade.ratelimit.RouteLimits;
import io.palisade.time.Ticker;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Builds the policy chain of each candidate snapshot, in the order the architecture fixes:
 * <pre>
 *   rate limits before auth (client IP...) ─▶ authenticate + authorize ─▶ rate limits by consumer ─▶
 *   per-consumer in-flight cap + cluster adaptive concurrency
 * </pre>
 * The services behind the filters (credential views, JWKS caches, breakers, limiter tables, Redis connection,
 * adaptive limits) live across reloads and are shared by key. {@link #prepare} builds a candidate's chain without
 * changing anything that serves (new providers are created but not started, new adaptive limiters are not
 * registered); {@link #activate} makes one or two prepared chains the serving ones and only then applies their
 * settings to the shared services. A step with no rule on any route is left out of the chain.
 */
final class FilterChainFactory implements AutoCloseable {
    private final GatewayMetrics metrics;
    private final Ticker ticker;
    private final Clock clock;
    private final AuthService auth;
    private final RateLimiter rateLimiter;
    private final ConcurrencyLimiter perConsumer = ConcurrencyLimiter.create();
    /** The serving chains' adaptive limiters by cluster; replaced whole on activation, read by the metrics scrape. */
    private volatile Map<String, AdaptiveConcurrency> adaptive = Map.of();

    /** The policy half of a candidate snapshot: its chain and the shared-service views that chain is bound to. */
    record Policy(List<GatewayFilter> filters, AuthService.View auth, RateLimitSettings rateLimiting,
                  Map<String, AdaptiveConcurrency> adaptive, Map<String, AdaptiveConcurrencySettings> adaptiveSettings) {
        Policy {
            filters = List.copyOf(filters);
            adaptive = Map.copyOf(adaptive);
            adaptiveSettings = Map.copyOf(adaptiveSettings);
        }
    }

    /** The services start with {@code initial}'s settings: nothing serves yet, so there is nothing to disturb. */
    FilterChainFactory(GatewayConfig initial, GatewayMetrics metrics, Ticker ticker, Clock clock) {
        this.metrics = metrics;
        this.ticker = ticker;
        this.clock = clock;
        this.auth = AuthService.builder(initial.auth()).ticker(ticker).clock(clock).build();
        this.rateLimiter = RateLimiter.create(initial.rateLimiting(), ticker, clock);
        registerGauges();
    }

    /** Builds {@code config}'s chain; what serves is unchanged. Runs on the control thread or at start. */
    synchronized Policy prepare(GatewayConfig config) {
        AuthService.View authView = auth.prepare(config.auth());
        Map<String, AdaptiveConcurrency> live = adaptive;
        Map<String, AdaptiveConcurrency> mine = new HashMap<>();
        Map<String, AdaptiveConcurrencySettings> settings = new HashMap<>();
        for (ClusterConfig c : config.clusters().values()) {
            if (c.adaptiveConcurrency().enabled()) {
                // A cluster that keeps its name keeps its learned limit; its settings change when this activates.
                AdaptiveConcurrency existing = live.get(c.name());
                mine.put(c.name(), existing != null ? existing : AdaptiveConcurrency.create(c.adaptiveConcurrency()));
                settings.put(c.name(), c.adaptiveConcurrency());
            }
        }

        List<RouteConfig> routes = config.routes();
        List<RouteLimits> limits = routes.stream().map(RouteConfig::limits).toList();
        List<GatewayFilter> chain = new ArrayList<>();
        RateLimitFilter beforeAuth = RateLimitFilter.create(rateLimiter, limits, Phase.BEFORE_AUTH);
        if (beforeAuth.hasAnyRule()) {
            chain.add(beforeAuth);
        }
        // Always present: it also removes client-sent identity headers on routes without auth.
        chain.add(AuthFilter.create(auth, authView, routes.stream().map(RouteConfig::auth).toList(), metrics));
        RateLimitFilter afterAuth = RateLimitFilter.create(rateLimiter, limits, Phase.AFTER_AUTH);
        if (afterAuth.hasAnyRule()) {
            chain.add(afterAuth);
        }
        List<OptionalInt> caps = limits.stream().map(RouteLimits::perConsumerConcurrency).toList();
        List<Map<String, AdaptiveConcurrency>> perRouteAdaptive = new ArrayList<>(routes.size());
        for (RouteConfig r : routes) {
            Map<String, AdaptiveConcurrency> byCluster = new HashMap<>();
            for (String cluster : r.servingClusters()) {
                AdaptiveConcurrency limiter = mine.get(cluster);
                if (limiter != null) {
                    byCluster.put(cluster, limiter);
                }
            }
            perRouteAdaptive.add(byCluster);
        }
        ConcurrencyFilter concurrency = ConcurrencyFilter.create(perConsumer, caps, perRouteAdaptive);
        if (concurrency.hasAnyLimit()) {
            chain.add(concurrency);
        }
        return new Policy(chain, authView, config.rateLimiting(), mine, settings);
    }

    /**
     * Makes {@code serving} (primary first, then a canary if one serves beside it) the chains requests may use: auth
     * providers of no serving chain close, the primary's limiter settings (key budget, Redis) apply, adaptive limiters
     * of both are kept and take the primary's settings where they are shared.
     */
    synchronized void activate(List<Policy> serving) {
        Policy primary = serving.get(0);
        auth.activate(serving.stream().map(Policy::auth).toList());
        rateLimiter.update(primary.rateLimiting());
        Map<String, AdaptiveConcurrency> next = new HashMap<>();
        for (int i = serving.size() - 1; i >= 0; i--) {
            Policy p = serving.get(i);
            p.adaptive().forEach((cluster, limiter) -> {
                next.put(cluster, limiter);
                limiter.update(p.adaptiveSettings().get(cluster));
            });
        }
        adaptive = Map.copyOf(next);
    }

    /** Whether global rate limits are decided at this node's share because Redis cannot be reached. */
    boolean rateLimitFallback() {
        return rateLimiter.stats().fallbackActive();
    }

    private void registerGauges() {
        metrics.gauge("palisade_ratelimit_keys", "Keys in the local rate-limit table (bounded by max_keys).", cb -> {
            cb.call(rateLimiter.stats().tableSize());
        });
        metrics.counter("palisade_ratelimit_evictions", "Keys evicted from the local table to stay in its budget.",
                cb -> {
                    cb.call(rateLimiter.stats().evictions());
                });
        metrics.counter("palisade_ratelimit_rejections", "Requests refused by a rate limit, by route/rule.", cb -> {
            rateLimiter.stats().rejectionsByRule().forEach((rule, n) -> cb.call(n, rule));
        }, "rule");
        metrics.gauge("palisade_ratelimit_fallback_active",
                "1 while Redis is unreachable and this node decides global limits at its local share.", cb -> {
                    cb.call(rateLimiter.stats().fallbackActive() ? 1 : 0);
                });
        metrics.counter("palisade_ratelimit_fallback_activations", "Times this node fell back from Redis to its"
                + " local share.", cb -> {
                    cb.call(rateLimiter.stats().fallbackActivations());
                });
        metrics.counter("palisade_ratelimit_fallback_decisions", "Global-limit checks decided at the local share"
                + " while Redis could not answer.", cb -> {
                    cb.call(rateLimiter.stats().fallbackDecisions());
                });
        metrics.counter("palisade_ratelimit_redis_errors", "Redis calls that failed or missed their deadline.", cb -> {
            cb.call(rateLimiter.stats().redisErrors());
        });
        metrics.gauge("palisade_auth_breaker_open", "1 while an external auth service's circuit is open or half-open.",
                cb -> {
                    auth.stats().external().forEach((provider, e) ->
                            cb.call(e.breaker() == BreakerState.CLOSED ? 0 : 1, provider));
                }, "provider");
        metrics.gauge("palisade_auth_external_inflight", "Calls in flight to an external auth service (bulkhead).",
                cb -> {
                    auth.stats().external().forEach((provider, e) -> cb.call(e.inFlight(), provider));
                }, "provider");
        metrics.counter("palisade_auth_external_stale_served", "Cached decisions served past their TTL while an"
                + " external auth service could not answer.", cb -> {
                    auth.stats().external().forEach((provider, e) -> cb.call(e.staleServed(), provider));
                }, "provider");
        metrics.gauge("palisade_auth_jwks_keys", "Keys in the last good key set of each JWT issuer.", cb -> {
            auth.stats().jwks().forEach((provider, j) -> cb.call(j.keys(), provider));
        }, "provider");
        metrics.counter("palisade_auth_jwks_fetch_failures", "Key-set fetches that failed or missed their deadline"
                + " (the last good set stays in use).", cb -> {
                    auth.stats().jwks().forEach((provider, j) -> cb.call(j.failures(), provider));
                }, "provider");
        metrics.gauge("palisade_adaptive_concurrency_limit", "The current adaptive concurrency limit per cluster.",
                cb -> adaptive.forEach((cluster, a) -> cb.call(a.limit(), cluster)), "cluster");
        metrics.gauge("palisade_adaptive_concurrency_inflight", "Requests holding an adaptive permit per cluster.",
                cb -> adaptive.forEach((cluster, a) -> cb.call(a.inFlight(), cluster)), "cluster");
    }

    @Override
    public synchronized void close() {
        auth.close();
        rateLimiter.close();
    }
}
