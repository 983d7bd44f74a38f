package io.palisade.ratelimit;

import io.palisade.time.Ticker;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Rate limits of routes, called from Netty event loops. Nothing here blocks the calling thread: local buckets are
 * decided synchronously and lock-free (one compare-and-set per rule); Redis buckets answer through a
 * {@link CompletionStage} completed on a Lettuce thread (the caller hops back to its event loop) within
 * {@code redis.timeout}, and when Redis fails or is late the request is decided locally at this node's share of the
 * limit instead: never an error, never unlimited.
 *
 * <pre>{@code
 * RateLimiter limiter = RateLimiter.create(settings, Ticker.system(), Clock.systemUTC());
 * Optional<LimitDecision> now = limiter.checkNow(routeId, limits, Phase.AFTER_AUTH, keys);
 * if (now.isPresent()) {
 *     proceedOrReject(now.get());                    // local rules only, or Redis in fallback: no future allocated
 * } else {
 *     limiter.check(routeId, limits, Phase.AFTER_AUTH, keys)
 *            .whenComplete((d, e) -> ctx.executor().execute(() -> proceedOrReject(d)));
 * }
 * }</pre>
 *
 * <p>Every rule of the phase must admit the request. A rule that admits it while another rejects it gets its token
 * back (locally by a refund, in Redis by writing nothing), so a rejected request costs no rule anything. During the
 * microseconds between a local take and its refund a concurrent request may see one token fewer: this can only reject,
 * never admit, one request too many. A Redis call that misses its deadline may still run in Redis later; that token
 * stays spent (a conservative over-count).
 */
public interface RateLimiter extends AutoCloseable {

    /** A limiter that counts every rule on this node at its full rate, whatever {@code store} says. */
    static RateLimiter local(RateLimitSettings settings, Ticker ticker) {
        return new DefaultRateLimiter(settings, ticker, Clock.systemUTC(), false);
    }

    /**
     * A limiter for {@code settings}: with {@code store: redis}, global rules go to Redis (connecting in the
     * background; until connected they are decided at the local share).
     *
     * @param ticker    monotonic time for every bucket, local and Redis
     * @param wallClock read once, to anchor the ticker to the wall clock for times sent to Redis
     */
    static RateLimiter create(RateLimitSettings settings, Ticker ticker, Clock wallClock) {
        return new DefaultRateLimiter(settings, ticker, wallClock, true);
    }

    /**
     * Checks the rules of {@code phase} ({@link Phase#BEFORE_AUTH}: the {@code before_auth} rules; {@link
     * Phase#AFTER_AUTH}: the rest). The stage never fails: Redis errors become local decisions.
     *
     * @param routeId the route's id, part of every bucket's identity
     */
    CompletionStage<LimitDecision> check(String routeId, RouteLimits limits, Phase phase, LimitKeys keys);

    /**
     * The synchronous fast path: answers when every rule of the phase is decided on this node (local scope, local
     * store, or Redis in fallback), with no future allocated; empty when Redis must be asked, and then nothing was
     * counted and the caller uses {@link #check}.
     */
    Optional<LimitDecision> checkNow(String routeId, RouteLimits limits, Phase phase, LimitKeys keys);

    /**
     * Applies reloaded settings: the key budget changes in place (existing buckets stay); a changed Redis section
     * replaces the connection (buckets in Redis stay); {@code nodes} applies to the next fallback decision. Callable
     * from any thread; does not block.
     */
    void update(RateLimitSettings next);

    LimiterStats stats();

    /** Stops using Redis and releases its connection and threads in the background; later checks decide locally. */
    @Override
    void close();
}
