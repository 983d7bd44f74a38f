package io.palisade.ratelimit;

import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.concurrent.FastThreadLocal;
import io.palisade.error.ErrorKind;
import io.palisade.filter.FilterResult;
import io.palisade.filter.GatewayFilter;
import io.palisade.filter.RequestContext;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One rate-limit phase of the gateway chain. The {@link Phase#BEFORE_AUTH} filter runs first, keyed by client IP and
 * the like, so an unauthenticated flood is refused before any credential lookup; the {@link Phase#AFTER_AUTH} filter
 * runs after authentication, keyed by consumer.
 *
 * <p>Over a limit: 429 with {@code Retry-After}, {@code RateLimit-Policy} and {@code RateLimit}. Under it: the same
 * RateLimit headers on the upstream's response. Local decisions are synchronous and allocate no future.
 */
public final class RateLimitFilter implements GatewayFilter {
    private static final FastThreadLocal<LimitKeys> REUSED_KEYS = new FastThreadLocal<>() {
        @Override
        protected LimitKeys initialValue() {
            return LimitKeys.of("", "", "", EmptyHttpHeaders.INSTANCE);
        }
    };
    private final RateLimiter limiter;
    private final RouteLimits[] limits;
    private final boolean[] hasRules;
    private final Phase phase;
    /** The limiter itself when it is this package's, whose local decisions can be had without an Optional. */
    private final DefaultRateLimiter local;

    private RateLimitFilter(RateLimiter limiter, List<RouteLimits> limits, Phase phase) {
        this.limiter = limiter;
        this.local = limiter instanceof DefaultRateLimiter d ? d : null;
        this.limits = limits.toArray(RouteLimits[]::new);
        this.phase = phase;
        this.hasRules = new boolean[this.limits.length];
        for (int i = 0; i < this.limits.length; i++) {
            hasRules[i] = !this.limits[i].rules(phase).isEmpty();
        }
    }

    /** @param limits one per route, in the snapshot's route order */
    public static RateLimitFilter create(RateLimiter limiter, List<RouteLimits> limits, Phase phase) {
        return new RateLimitFilter(limiter, limits, phase);
    }

    /** Whether any route has a rule in this filter's phase (no filter is installed otherwise). */
    public boolean hasAnyRule() {
        for (boolean b : hasRules) {
            if (b) {
                return true;
            }
        }
        return false;
    }

    @Override
    public CompletionStage<FilterResult> filter(RequestContext ctx) {
        int route = ctx.routeIndex();
        if (!hasRules[route]) {
            return FilterResult.PROCEED_STAGE;
        }
        String clientIp = ctx.clientIp();
        String consumer = ctx.consumer().orElse("");
        String path = ctx.path();
        HttpHeaders headers = ctx.request().headers();
        String routeId = ctx.routeId();
        if (local != null) {
            LimitDecision now = local.decideNow(routeId, limits[route], phase,
                    REUSED_KEYS.get().reset(clientIp, consumer, path, headers));
            if (now != null) {
                return toStage(now, ctx);
            }
        }
        // The check may complete on another thread, after this one reset its keys for the next request.
        LimitKeys keys = LimitKeys.of(clientIp, consumer, path, headers);
        if (local == null) {
            Optional<LimitDecision> now = limiter.checkNow(routeId, limits[route], phase, keys);
            if (now.isPresent()) {
                return toStage(now.get(), ctx);
            }
        }
        // Redis answers on a Lettuce thread; the response headers belong to the exchange, which only its event loop
        // touches.
        return limiter.check(routeId, limits[route], phase, keys).thenApplyAsync(d -> toResult(d, ctx),
                ctx.eventLoop());
    }

    private static CompletionStage<FilterResult> toStage(LimitDecision d, RequestContext ctx) {
        if (d.allowed()) {
            d.addHeaders(ctx.responseHeaders());
            return FilterResult.PROCEED_STAGE;
        }
        return CompletableFuture.completedFuture(toResult(d, ctx));
    }

    private static FilterResult toResult(LimitDecision d, RequestContext ctx) {
        if (d.allowed()) {
            d.addHeaders(ctx.responseHeaders());
            return FilterResult.PROCEED;
        }
        // Into the exchange's response headers, replacing what an earlier phase allowed with: the error response adds
        // both those and a rejection's own headers, so passing them there too would send every field twice.
        d.addHeaders(ctx.responseHeaders());
        return FilterResult.reject(d.rejection().orElse(ErrorKind.RATE_LIMITED),
                (int) Math.min(Integer.MAX_VALUE, d.retryAfterSeconds()), null);
    }
}
