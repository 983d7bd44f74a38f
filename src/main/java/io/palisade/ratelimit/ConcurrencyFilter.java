package io.palisade.ratelimit;

import io.palisade.filter.FilterResult;
import io.palisade.filter.GatewayFilter;
import io.palisade.filter.RequestContext;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletionStage;

/**
 * Tenant isolation beyond rates, the last step of the chain: a per-consumer cap on requests in flight (429
 * {@code concurrency_limited}), then the adaptive concurrency limit of the cluster the request goes to (on a route
 * with weighted clusters, the one picked for it), which sheds the heaviest consumers' excess first (503
 * {@code load_shed} + Retry-After) so the cluster's latency holds for everyone else.
 * Permits are returned when the exchange ends, however it ends.
 */
public final class ConcurrencyFilter implements GatewayFilter {
    private final ConcurrencyLimiter perConsumer;
    private final OptionalInt[] caps;
    /** Per route, by cluster name; empty maps for routes whose clusters have none. */
    private final List<Map<String, AdaptiveConcurrency>> adaptive;

    private ConcurrencyFilter(ConcurrencyLimiter perConsumer, List<OptionalInt> caps,
                              List<Map<String, AdaptiveConcurrency>> adaptive) {
        this.perConsumer = perConsumer;
        this.caps = caps.toArray(OptionalInt[]::new);
        this.adaptive = adaptive.stream().map(Map::copyOf).toList();
    }

    /**
     * @param caps     per route, the {@code concurrency.per_consumer} cap
     * @param adaptive per route, the adaptive limiters of the clusters it sends to that have one enabled, by cluster
     *                 name
     */
    public static ConcurrencyFilter create(ConcurrencyLimiter perConsumer, List<OptionalInt> caps,
                                           List<Map<String, AdaptiveConcurrency>> adaptive) {
        return new ConcurrencyFilter(perConsumer, caps, adaptive);
    }

    /** Whether any route has a cap or an adaptive limit (no filter is installed otherwise). */
    public boolean hasAnyLimit() {
        for (int i = 0; i < caps.length; i++) {
            if (caps[i].isPresent() || !adaptive.get(i).isEmpty()) {
                return true;
            }
        }
        return false;
    }


    @Override
    public CompletionStage<FilterResult> filter(RequestContext ctx) {
        int route = ctx.routeIndex();
        String consumer = ctx.consumer().orElseGet(() -> "ip:" + ctx.clientIp());
        OptionalInt cap = caps[route];
        if (cap.isPresent()) {
            Optional<ConcurrencyLimiter.Permit> permit = perConsumer.tryAcquire(ctx.routeId(), consumer,
                    cap.getAsInt());
            if (permit.isEmpty()) {
                return FilterResult.rejectStage(ConcurrencyLimiter.REJECTION);
            }
            ConcurrencyLimiter.Permit p = permit.get();
            ctx.onComplete((status, upstreamNanos) -> p.release());
        }
        Map<String, AdaptiveConcurrency> byCluster = adaptive.get(route);
        // Asking for the cluster picks it (on a weighted route), so only routes that have a limiter ask.
        AdaptiveConcurrency limiter = byCluster.isEmpty() ? null : byCluster.get(ctx.upstreamCluster());
        if (limiter != null) {
            AdaptiveConcurrency.Admission admission = limiter.admit(consumer);
            if (admission instanceof AdaptiveConcurrency.Refusal refusal) {
                return FilterResult.rejectStage(refusal.kind());
            }
            AdaptiveConcurrency.Permit p = (AdaptiveConcurrency.Permit) admission;
            ctx.onComplete((status, upstreamNanos) -> {
                if (upstreamNanos > 0) {
                    p.onComplete(upstreamNanos, status == 503 || status == 504 || status == 502);
                } else {
                    p.release();
                }
            });
        }
        return FilterResult.PROCEED_STAGE;
    }
}
