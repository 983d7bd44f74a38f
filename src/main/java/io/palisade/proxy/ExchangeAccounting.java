package io.palisade.proxy;

import io.palisade.error.ErrorKind;
import io.palisade.filter.RequestContext.CompletionListener;
import io.palisade.outcome.Outcome;
import java.util.Optional;

/**
 * The accounting of an {@link Exchange} when it ends: its loop's in-flight count, then its one {@link Outcome}
 * (route, cluster, endpoint, consumer, status, error, bytes, times, attempts), published to whoever subscribed
 * (request metrics, the access log), then the filters' completion listeners (permits, adaptive limits). Nothing is
 * allocated but the record: its strings are those the exchange already holds.
 */
final class ExchangeAccounting {
    private ExchangeAccounting() {}

    /** @param error why the gateway answered with an error or cut the response, or null */
    static void end(Exchange ex, Outcome.Ending ending, int status, ErrorKind error) {
        UpstreamPool.PoolCounters.add(ex.pool.counters().inflight, -1);
        long now = System.nanoTime();
        if (ex.upstreamNanos == 0 && ex.upstreamStartNanos != 0) {
            ex.upstreamNanos = now - ex.upstreamStartNanos; // no response head: the time until it failed
        }
        ex.runtime.outcomes().publish(new Outcome(ex.requestId, ex.snapshot.version(), ex.startNanos, ex.clientIp,
                ex.request.method().name(), ex.path, QueryRedaction.redact(ex.query, ex.snapshot.apiKeyQueryParam()),
                ex.route.config().id(),
                ex.cluster == null ? "" : ex.cluster.name(), ex.endpoint == null ? "" : ex.endpoint.addressText(),
                ex.consumer == null ? "" : ex.consumer, status, ending,
                error == null ? Optional.empty() : Outcome.errorOf(error), ex.bodyBytes, ex.responseBytes,
                now - ex.startNanos, ex.upstreamNanos, ex.attempts,
                ex.upstreamFailureKind == null ? "" : ex.upstreamFailureKind));
        if (ex.listeners != null) {
            for (CompletionListener l : ex.listeners) {
                try {
                    l.completed(status, ex.upstreamNanos);
                } catch (RuntimeException e) {
                    ex.runtime.logFailure("completion listener threw", e);
                }
            }
        }
    }
}
