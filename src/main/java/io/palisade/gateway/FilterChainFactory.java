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
import io.palisade.ratelimit.RouteLimits;
import io.palisade.time.Ticker;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds the policy chain for each config snapshot, in the order the architecture fixes:
 * <pre>
 *   rate limits before auth (client IP...) ─▶ authenticate + authorize ─▶ rate limits by consumer ─▶
 *   per-consumer in-flight cap + cluster adaptive concurrency
 * </pre>
 * The services behind the filters (credential view, JWKS caches, breakers, limiter tables, Redis connection,
 * adaptive limits) are created once and updated when a snapshot is built, so caches and counters survive reloads;
 * the filters themselves only hold per-route arrays of the snapshot's policies. A step with no rule on any route is
 * left out of the chain.
 */
final class FilterChainFactory implements AutoCloseable {
    private final GatewayMetrics metrics;
    private final Ticker ticker;
    private final Clock clock;
    // Written by the control thread, read by the metrics scrape.
    private volatile AuthService auth;
    private volatile RateLimiter rateLimiter;
    private final ConcurrencyLimiter perConsumer = ConcurrencyLimiter.create();
    private final Map<String, AdaptiveConcurrency> adaptive = new ConcurrentHashMap<>();

    FilterChainFactory(GatewayMetrics metrics, Ticker ticker, Clock clock) {
        this.metrics = metrics;
        this.ticker = ticker;
        this.clock = clock;
        registerGauges();
    }

    /** Called on the control thread (reload) or at start; updates the long-lived services to {@code config}. */
    synchronized List<GatewayFilter> filters(GatewayConfig config) {
        if (auth == null) {
            auth = AuthService.builder(config.auth()).ticker(ticker).clock(clock).build();
            rateLimiter = RateLimiter.create(config.rateLimiting(), ticker, clock);
        } else {
            auth.update(config.auth());
            rateLimiter.update(config.rateLimiting());
        }
        updateAdaptive(config);

        List<RouteConfig> routes = config.routes();
        List<RouteLimits> limits = routes.stream().map(RouteConfig::limits).toList();
        List<GatewayFilter> chain = new ArrayList<>();
        RateLimitFilter beforeAuth = RateLimitFilter.create(rateLimiter, limits, Phase.BEFORE_AUTH);
        if (beforeAuth.hasAnyRule()) {
            chain.add(beforeAuth);
        }
        // Always present: it also removes client-sent identity headers on routes without auth.
        chain.add(AuthFilter.create(auth, routes.stream().map(RouteConfig::auth).toList(), config.auth(), metrics));
        RateLimitFilter afterAuth = RateLimitFilter.create(rateLimiter, limits, Phase.AFTER_AUTH);
        if (afterAuth.hasAnyRule()) {
            chain.add(afterAuth);
        }
        List<OptionalInt> caps = limits.stream().map(RouteLimits::perConsumerConcurrency).toList();
        List<Optional<AdaptiveConcurrency>> perRouteAdaptive = routes.stream()
                .map(r -> Optional.ofNullable(adaptive.get(r.cluster()))).toList();
        ConcurrencyFilter concurrency = ConcurrencyFilter.create(perConsumer, caps, perRouteAdaptive);
        if (concurrency.hasAnyLimit()) {
            chain.add(concurrency);
        }
        return chain;
    }

    /** One adaptive limiter per cluster that enables it; a limiter keeps its learned limit across reloads. */
    private void updateAdaptive(GatewayConfig config) {
        Map<String, AdaptiveConcurrencySettings> wanted = new HashMap<>();
        for (ClusterConfig c : config.clusters().values()) {
            if (c.adaptiveConcurrency().enabled()) {
                wanted.put(c.name(), c.adaptiveConcurrency());
            }
        }
        adaptive.keySet().retainAll(wanted.keySet());
        wanted.forEach((name, settings) -> adaptive.compute(name, (n, existing) -> {
            if (existing == null) {
                return AdaptiveConcurrency.create(settings);
            }
            existing.update(settings);
            return existing;
        }));
    }

    private void registerGauges() {
        metrics.gauge("palisade_ratelimit_keys", "Keys in the local rate-limit table (bounded by max_keys).", cb -> {
            if (rateLimiter != null) {
                cb.call(rateLimiter.stats().tableSize());
            }
        });
        metrics.counter("palisade_ratelimit_evictions", "Keys evicted from the local table to stay in its budget.",
                cb -> {
                    if (rateLimiter != null) {
                        cb.call(rateLimiter.stats().evictions());
                    }
                });
        metrics.counter("palisade_ratelimit_rejections", "Requests refused by a rate limit, by route/rule.", cb -> {
            if (rateLimiter != null) {
                rateLimiter.stats().rejectionsByRule().forEach((rule, n) -> cb.call(n, rule));
            }
        }, "rule");
        metrics.gauge("palisade_ratelimit_fallback_active",
                "1 while Redis is unreachable and this node decides global limits at its local share.", cb -> {
                    if (rateLimiter != null) {
                        cb.call(rateLimiter.stats().fallbackActive() ? 1 : 0);
                    }
                });
        metrics.counter("palisade_ratelimit_fallback_activations", "Times this node fell back from Redis to its"
                + " local share.", cb -> {
                    if (rateLimiter != null) {
                        cb.call(rateLimiter.stats().fallbackActivations());
                    }
                });
        metrics.counter("palisade_ratelimit_fallback_decisions", "Global-limit checks decided at the local share"
                + " while Redis could not answer.", cb -> {
                    if (rateLimiter != null) {
                        cb.call(rateLimiter.stats().fallbackDecisions());
                    }
                });
        metrics.counter("palisade_ratelimit_redis_errors", "Redis calls that failed or missed their deadline.", cb -> {
            if (rateLimiter != null) {
                cb.call(rateLimiter.stats().redisErrors());
            }
        });
        metrics.gauge("palisade_auth_breaker_open", "1 while an external auth service's circuit is open or half-open.",
                cb -> {
                    if (auth != null) {
                        auth.stats().external().forEach((provider, e) ->
                                cb.call(e.breaker() == BreakerState.CLOSED ? 0 : 1, provider));
                    }
                }, "provider");
        metrics.gauge("palisade_auth_external_inflight", "Calls in flight to an external auth service (bulkhead).",
                cb -> {
                    if (auth != null) {
                        auth.stats().external().forEach((provider, e) -> cb.call(e.inFlight(), provider));
                    }
                }, "provider");
        metrics.counter("palisade_auth_external_stale_served", "Cached decisions served past their TTL while an"
                + " external auth service could not answer.", cb -> {
                    if (auth != null) {
                        auth.stats().external().forEach((provider, e) -> cb.call(e.staleServed(), provider));
                    }
                }, "provider");
        metrics.gauge("palisade_auth_jwks_keys", "Keys in the last good key set of each JWT issuer.", cb -> {
            if (auth != null) {
                auth.stats().jwks().forEach((provider, j) -> cb.call(j.keys(), provider));
            }
        }, "provider");
        metrics.counter("palisade_auth_jwks_fetch_failures", "Key-set fetches that failed or missed their deadline"
                + " (the last good set stays in use).", cb -> {
                    if (auth != null) {
                        auth.stats().jwks().forEach((provider, j) -> cb.call(j.failures(), provider));
                    }
                }, "provider");
        metrics.gauge("palisade_adaptive_concurrency_limit", "The current adaptive concurrency limit per cluster.",
                cb -> adaptive.forEach((cluster, a) -> cb.call(a.limit(), cluster)), "cluster");
        metrics.gauge("palisade_adaptive_concurrency_inflight", "Requests holding an adaptive permit per cluster.",
                cb -> adaptive.forEach((cluster, a) -> cb.call(a.inFlight(), cluster)), "cluster");
    }

    @Override
    public synchronized void close() {
        if (auth != null) {
            auth.close();
            rateLimiter.close();
        }
    }
}
