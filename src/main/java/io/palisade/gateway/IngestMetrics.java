package io.palisade.gateway;

import io.palisade.ingest.IngestService;
import io.palisade.metrics.GatewayMetrics;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * The ingest routes' metrics, read at scrape time from {@link IngestService}: what was accepted, refused and
 * delivered, what waits (backlog, its oldest age, the quarantine), the budgets, and the store's group commits.
 */
final class IngestMetrics {
    private IngestMetrics() {}

    static void register(GatewayMetrics metrics, IngestService ingest) {
        counter(metrics, ingest, "palisade_ingest_accepted", "Records stored and answered 202, by route (since start).",
                IngestService.RouteStatus::accepted);
        counter(metrics, ingest, "palisade_ingest_duplicates", "Requests whose Idempotency-Key named a record already"
                + " stored: answered 202 with its id, nothing stored.", IngestService.RouteStatus::duplicates);
        metrics.counter("palisade_ingest_rejected", "Ingest requests refused by the store: ingest_full (507: quota,"
                + " max_disk or the disk) or ingest_unavailable (503: opening, failing).", cb -> {
                    for (IngestService.RouteStatus r : ingest.routes()) {
                        r.rejected().forEach((reason, n) -> cb.call(n, r.route(), reason));
                    }
                }, "route", "reason");
        counter(metrics, ingest, "palisade_ingest_delivered", "Records delivered (a 2xx from the cluster).",
                IngestService.RouteStatus::delivered);
        counter(metrics, ingest, "palisade_ingest_retries", "Delivery attempts that failed and will be tried again.",
                IngestService.RouteStatus::retried);
        counter(metrics, ingest, "palisade_ingest_quarantined", "Records moved to the quarantine (a non-retryable"
                + " status, or attempts and age spent).", IngestService.RouteStatus::quarantinedTotal);
        gauge(metrics, ingest, "palisade_ingest_backlog_records", "Records waiting for delivery.",
                IngestService.RouteStatus::backlog);
        gauge(metrics, ingest, "palisade_ingest_backlog_bytes", "Bytes of records waiting for delivery.",
                IngestService.RouteStatus::backlogBytes);
        gauge(metrics, ingest, "palisade_ingest_oldest_age_seconds", "Age of the oldest record waiting for delivery.",
                IngestService.RouteStatus::oldestAgeSeconds);
        gauge(metrics, ingest, "palisade_ingest_in_flight", "Deliveries in flight to the route's cluster.",
                IngestService.RouteStatus::inFlight);
        gauge(metrics, ingest, "palisade_ingest_quarantine_records", "Records in the quarantine, waiting for an"
                + " operator (replay or purge).", IngestService.RouteStatus::quarantined);
        gauge(metrics, ingest, "palisade_ingest_used_bytes", "Bytes of the route's live records (backlog and"
                + " quarantine) counted against its quota.", IngestService.RouteStatus::bytes);
        gauge(metrics, ingest, "palisade_ingest_quota_bytes", "The route's quota (at most ingest.max_disk).",
                IngestService.RouteStatus::quotaBytes);
        metrics.counter("palisade_ingest_commits", "Group commits of accepted records (one fsync each with fsync:"
                + " always).", cb -> cb.call(ingest.journal().commits()));
        metrics.counter("palisade_ingest_commit_records", "Records written by those commits (records / commits is the"
                + " mean group size).", cb -> cb.call(ingest.journal().records()));
        metrics.counter("palisade_ingest_commit_seconds", "Time spent in those commits, the fsync included.",
                cb -> cb.call(ingest.journal().commitSeconds()));
        metrics.gauge("palisade_ingest_commits_by_latency", "Commits that took at most le seconds (cumulative, as a"
                + " histogram's buckets).", cb -> {
                    for (IngestService.Bucket b : ingest.journal().commitLatency()) {
                        cb.call(b.count(), le(b.le()));
                    }
                }, "le");
        metrics.gauge("palisade_ingest_commits_by_group_size", "Commits of at most le records (cumulative).", cb -> {
            for (IngestService.Bucket b : ingest.journal().groupSizes()) {
                cb.call(b.count(), le(b.le()));
            }
        }, "le");
        metrics.gauge("palisade_ingest_journal_queue", "Writes waiting for the journal's writer thread.",
                cb -> cb.call(ingest.journal().queueDepth()));
        metrics.gauge("palisade_ingest_store_ready", "1 while the ingest store is open and accepting.",
                cb -> cb.call(ingest.state() == IngestService.State.READY ? 1 : 0));
        metrics.counter("palisade_ingest_torn_bytes", "Bytes of a torn WAL tail a crash left, cut off when the store"
                + " opened.", cb -> cb.call(ingest.tornBytes()));
    }

    private static String le(double bound) {
        return Double.isInfinite(bound) ? "+Inf" : Double.toString(bound);
    }

    private static void counter(GatewayMetrics metrics, IngestService ingest, String name, String help,
                                ToDoubleFunction<IngestService.RouteStatus> value) {
        metrics.counter(name, help, perRoute(ingest, value, (cb, v, route) -> cb.call(v, route)), "route");
    }

    private static void gauge(GatewayMetrics metrics, IngestService ingest, String name, String help,
                              ToDoubleFunction<IngestService.RouteStatus> value) {
        metrics.gauge(name, help, perRoute(ingest, value, (cb, v, route) -> cb.call(v, route)), "route");
    }

    private interface Emit<C> {
        void emit(C callback, double value, String route);
    }

    private static <C> Consumer<C> perRoute(IngestService ingest, ToDoubleFunction<IngestService.RouteStatus> value,
                                            Emit<C> emit) {
        return cb -> {
            List<IngestService.RouteStatus> routes = ingest.routes();
            for (IngestService.RouteStatus r : routes) {
                emit.emit(cb, value.applyAsDouble(r), r.route());
            }
        };
    }
}
