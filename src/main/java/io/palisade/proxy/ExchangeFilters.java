package io.palisade.proxy;

import io.palisade.error.ErrorKind;
import io.palisade.filter.FilterResult;
import io.palisade.filter.GatewayFilter;
import java.util.concurrent.CompletableFuture;

/**
 * Runs the snapshot's filter chain over an {@link Exchange} in FILTERING, in order. A filter that decides at once
 * (local limits, cached keys) costs no hop and no allocation; one that decides later (a JWKS fetch, external auth,
 * Redis) completes on its own thread, and the chain goes on from the next filter back on the exchange's event loop.
 * The first filter that refuses answers for the exchange; when all pass, {@link Exchange#filtersPassed()}.
 */
final class ExchangeFilters {
    private ExchangeFilters() {}

    static void run(Exchange ex, int from) {
        GatewayFilter[] filters = ex.snapshot.filters();
        for (int i = from; i < filters.length; i++) {
            if (ex.isDone()) {
                return;
            }
            CompletableFuture<FilterResult> stage;
            try {
                // A CompletableFuture returns itself here; only other stage types are copied.
                stage = filters[i].filter(ex).toCompletableFuture();
                if (stage.isDone()) {
                    // Decided synchronously (the common case: local limits, cached keys): no hop, no allocation.
                    if (!apply(ex, stage.join(), null)) {
                        return;
                    }
                    continue;
                }
            } catch (RuntimeException e) {
                apply(ex, null, e);
                return;
            }
            int next = i + 1;
            stage.whenComplete((r, e) -> ex.ctx.executor().execute(() -> {
                if (apply(ex, r, e)) {
                    run(ex, next);
                }
            }));
            return;
        }
        if (ex.state() == Exchange.State.FILTERING) {
            ex.filtersPassed();
        }
    }

    /** @return true when the chain goes on */
    private static boolean apply(Exchange ex, FilterResult r, Throwable error) {
        if (ex.state() != Exchange.State.FILTERING) {
            return false;
        }
        if (error != null || r == null) {
            ex.runtime.logFailure("filter failed", error);
            ex.respondError(ErrorKind.INTERNAL);
            return false;
        }
        if (!r.proceeds()) {
            ex.respondError(r.rejection(), r.retryAfterSeconds(), r.headers());
            return false;
        }
        return true;
    }
}
