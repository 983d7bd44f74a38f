package io.palisade.gateway;

import io.palisade.metrics.GatewayMetrics;
import io.palisade.overload.OverloadManager;
import io.palisade.server.AcceptBackoff;
import io.palisade.server.ConnectionLimiter;
import io.palisade.server.Http2Counters;
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
        metrics.counter("palisade_client_connections_per_ip_rejected", "Client connections closed at accept because"
                + " their address (IPv4 address, IPv6 /64) had server.limits.max_connections_per_ip open on the"
                + " listener, all listeners together.", cb -> {
                    long rejected = 0;
                    for (ConnectionLimiter l : connectionLimiters) {
                        rejected += l.rejectedPerIp();
                    }
                    cb.call(rejected);
                });
        metrics.gauge("palisade_client_connection_addresses", "Client addresses (IPv4 addresses, IPv6 /64s) with a"
                + " connection open, summed over the listeners: what the per-address connection counts hold.", cb -> {
                    long addresses = 0;
                    for (ConnectionLimiter l : connectionLimiters) {
                        addresses += l.addressesTracked();
                    }
                    cb.call(addresses);
                });
    }

    /** Failed accepts on the data listeners (mostly the open file limit) and the pauses they caused. */
    static void registerAccepts(GatewayMetrics metrics, AcceptBackoff backoff) {
        metrics.counter("palisade_listener_accept_failures", "Accepts of client connections that failed, mostly at the"
                + " open file limit (EMFILE, ENFILE), all listeners together.", cb -> cb.call(backoff.failures()));
        metrics.counter("palisade_listener_accept_pauses", "Times a listening socket stopped accepting for a moment"
                + " (100 ms, doubling up to 1 s while failures go on) after a failed accept.",
                cb -> cb.call(backoff.pauses()));
    }

    /** The overload manager's state, its heap reading and the requests it shed. */
    static void registerOverload(GatewayMetrics metrics, OverloadManager overload) {
        metrics.gauge("palisade_overload_state", "The overload manager's state from heap use after GC: 0 normal, 1"
                + " keep-alive stopped (server.overload.heap_stop_keepalive), 2 shedding new requests with 503"
                + " overloaded (heap_shed).", cb -> cb.call(overload.level().ordinal()));
        metrics.gauge("palisade_overload_heap_used_after_gc_ratio", "Heap in use after the last GC as a fraction of"
                + " its limit, as the overload manager last read it.", cb -> cb.call(overload.heapUsedAfterGc()));
        metrics.counter("palisade_overload_shed", "Requests answered 503 overloaded because the heap was over"
                + " server.overload.heap_shed.", cb -> cb.call(overload.shed()));
    }

    /** HTTP/2 client connections: streams opened, resets by side, GOAWAYs sent by reason. */
    static void registerHttp2(GatewayMetrics metrics, Http2Counters h2) {
        metrics.counter("palisade_http2_streams_opened", "HTTP/2 streams opened by clients (each one request).",
                cb -> cb.call(h2.streamsOpened()));
        metrics.counter("palisade_http2_streams_reset", "HTTP/2 streams ended with RST_STREAM, by who sent it"
                + " (client, gateway).", cb -> {
                    cb.call(h2.resetsByClient(), "client");
                    cb.call(h2.resetsByGateway(), "gateway");
                }, "by");
        metrics.counter("palisade_http2_goaways_sent", "GOAWAY frames sent to HTTP/2 clients, by reason (the error"
                + " code: no_error for an idle or drained connection, enhance_your_calm for a flood or rapid reset,"
                + " protocol_error, flow_control_error...).", cb -> h2.forEachGoAway((reason, n) -> cb.call(n, reason)),
                "reason");
    }
}
