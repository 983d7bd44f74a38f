package io.palisade.gateway;

import io.palisade.metrics.GatewayMetrics;
import io.palisade.server.ConnectionLimiter;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.ClusterManager;
import java.util.Collection;

/** The gauges read at scrape time from live state: endpoint health and load, panic, refused client connections. */
final class GatewayGauges {
    private GatewayGauges() {}

    static void register(GatewayMetrics metrics, ClusterManager clusters,
                         Collection<ConnectionLimiter> connectionLimiters) {
        metrics.gauge("palisade_upstream_endpoint_healthy",
                "1 when an endpoint is available (healthy and not ejected), else 0.", cb -> {
                    for (Cluster c : clusters.clusters()) {
                        for (var e : c.endpoints()) {
                            cb.call(e.isAvailable() ? 1 : 0, c.name(), e.address().toString());
                        }
                    }
                }, "cluster", "endpoint");
        metrics.gauge("palisade_upstream_endpoint_active_requests", "Requests in flight per endpoint.", cb -> {
            for (Cluster c : clusters.clusters()) {
                for (var e : c.endpoints()) {
                    cb.call(e.activeRequests(), c.name(), e.address().toString());
                }
            }
        }, "cluster", "endpoint");
        metrics.gauge("palisade_upstream_panic_active", "1 while passive ejections leave a cluster under its"
                + " outlier.panic_threshold, so its ejected endpoints take traffic again; else 0.", cb -> {
                    for (Cluster c : clusters.clusters()) {
                        cb.call(c.inPanic() ? 1 : 0, c.name());
                    }
                }, "cluster");
        metrics.counter("palisade_upstream_panic_picks", "Endpoint picks made while the cluster was in panic"
                + " (ejected endpoints back in rotation).", cb -> {
                    for (Cluster c : clusters.clusters()) {
                        cb.call(c.panicPicks(), c.name());
                    }
                }, "cluster");
        metrics.gauge("palisade_client_connections_rejected", "Client connections closed at accept (over their"
                + " listener's cap), all listeners together.", cb -> {
                    long rejected = 0;
                    for (ConnectionLimiter l : connectionLimiters) {
                        rejected += l.rejected();
                    }
                    cb.call(rejected);
                });
    }
}
