/**
 * Rate limits, per-consumer in-flight caps and adaptive concurrency, kept per tenant so one flooding tenant cannot
 * spend the gateway's memory or another tenant's capacity (seed 001).
 *
 * <ul>
 *   <li>{@link io.palisade.ratelimit.RateLimiter}: GCRA rate limits per route, local (lock-free, bounded key table) or
 *       global in Redis with a local fallback share; see {@link io.palisade.ratelimit.RouteLimits} and
 *       {@link io.palisade.ratelimit.RateLimitSettings} for the YAML.</li>
 *   <li>{@link io.palisade.ratelimit.ConcurrencyLimiter}: {@code concurrency.per_consumer} of a route.</li>
 *   <li>{@link io.palisade.ratelimit.AdaptiveConcurrency}: a cluster's latency-driven limit with fair shedding.</li>
 * </ul>
 *
 * <p>All of it may be called from Netty event loops: nothing blocks. See {@code docs/rate-limiting.md}.
 */
package io.palisade.ratelimit;
