package io.palisade.gateway;

import io.palisade.metrics.GatewayMetrics;
import io.palisade.outcome.Outcome;
import io.palisade.outcome.OutcomeSubscriber;

/**
 * Counts every request from its outcome: {@code palisade_requests_total} and the latency histogram per route (the
 * route's handles are looked up by id in the metrics' own map, made once per route: no label lookup per request), and
 * {@code palisade_rejections_total} for each answer the gateway wrote itself, whether the proxy or the protocol
 * handlers wrote it. A request with no status (the client left first) is not counted.
 */
final class OutcomeMetrics implements OutcomeSubscriber {
    private final GatewayMetrics metrics;

    OutcomeMetrics(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void onOutcome(Outcome o) {
        if (o.status() > 0) {
            metrics.route(o.route()).record(o.cluster(), o.status(), o.totalNanos());
            metrics.versionRequest(o.configVersion(), o.status() >= 500 || o.ending() == Outcome.Ending.CUT);
        }
        if (o.ending() == Outcome.Ending.ANSWERED && o.error().isPresent()) {
            metrics.rejected(o.error().get().code());
        }
    }
}
