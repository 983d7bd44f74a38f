package io.palisade.alert;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.metrics.GatewayMetrics;
import io.palisade.testing.FakeTicker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The probe-based alerts, fed by a {@link Signals} the test sets, and the rollback event. */
class SignalAlertTest {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final Duration SECOND = Duration.ofSeconds(1);

    /** What the gateway would report; the test changes it between evaluations. */
    static final class State implements Signals {
        volatile boolean fallback;
        volatile List<ClusterState> clusters = List.of();
        volatile List<IngestState> ingest = List.of();
        volatile double lag;
        volatile boolean broken;

        @Override
        public boolean rateLimitFallback() {
            if (broken) {
                throw new IllegalStateException("the probe broke");
            }
            return fallback;
        }

        @Override
        public List<ClusterState> clusters() {
            return clusters;
        }

        @Override
        public List<IngestState> ingest() {
            return ingest;
        }

        @Override
        public double eventLoopLagSeconds() {
            return lag;
        }
    }

    private final FakeTicker ticker = new FakeTicker();
    private final State state = new State();
    private final AlertEngine alerts = AlertEngine.builder(ticker.clock(T0)).signals(state).build();
    private final Drive drive = new Drive(ticker, alerts, null);

    private void seconds(int n) {
        drive.run(n, SECOND, i -> { });
    }

    private Instant now() {
        return T0.plusNanos(ticker.read());
    }

    @Test
    void rateLimitFallback_afterTenSeconds_clearsAfterThirty() {
        state.fallback = true;
        seconds(10); // held from the first evaluation to the tenth: 9 s
        assertThat(drive.changes).isEmpty();
        seconds(1);
        Alert a = drive.raised("ratelimit_fallback").get(0);
        assertThat(a.severity()).isEqualTo(Severity.TICKET);
        assertThat(a.labels()).isEmpty();
        assertThat(a.evidence()).containsEntry("fallback_active", true);
        state.fallback = false;
        seconds(30);
        assertThat(drive.resolved("ratelimit_fallback")).isEmpty();
        seconds(1);
        assertThat(drive.resolved("ratelimit_fallback")).hasSize(1);
    }

    @Test
    void clusters_noHealthyEndpoint_failover_panic() {
        state.clusters = List.of(new Signals.ClusterState("orders", 3, 0, false, false),
                new Signals.ClusterState("search", 2, 0, true, false),
                new Signals.ClusterState("users", 4, 1, false, true),
                new Signals.ClusterState("fine", 2, 2, false, false));
        seconds(11);
        assertThat(drive.raised("cluster_no_healthy_endpoint")).singleElement().satisfies(a -> {
            assertThat(a.labels()).isEqualTo(Map.of("cluster", "orders"));
            assertThat(a.severity()).isEqualTo(Severity.PAGE);
            assertThat(a.summary()).isEqualTo("cluster orders has no healthy endpoint (0 of 3 endpoints available)"
                    + " and no failover serving for it: its requests fail");
            assertThat(a.evidence()).containsEntry("endpoints", 3L).containsEntry("available", 0L);
        });
        assertThat(drive.raised("cluster_failover")).singleElement().satisfies(a ->
                assertThat(a.labels()).isEqualTo(Map.of("cluster", "search")));
        assertThat(drive.raised("cluster_panic")).singleElement().satisfies(a ->
                assertThat(a.labels()).isEqualTo(Map.of("cluster", "users")));

        state.clusters = List.of(new Signals.ClusterState("orders", 3, 1, false, false),
                new Signals.ClusterState("search", 2, 0, true, false),
                new Signals.ClusterState("users", 4, 1, false, true));
        seconds(11);
        assertThat(drive.resolved("cluster_no_healthy_endpoint")).hasSize(1);
        state.clusters = List.of(); // a reload removed them all
        seconds(1);
        assertThat(alerts.active()).isEmpty();
        assertThat(drive.resolved("cluster_failover")).singleElement().satisfies(a ->
                assertThat(a.summary()).endsWith("(resolved: no longer watched)"));
    }

    @Test
    void ingest_backlogAge_andQuarantineGrowth() {
        state.ingest = List.of(new Signals.IngestState("track", 10, 599, 0));
        seconds(1);
        assertThat(drive.changes).isEmpty();
        state.ingest = List.of(new Signals.IngestState("track", 10, 600, 0));
        seconds(1);
        assertThat(drive.raised("ingest_backlog_age")).singleElement().satisfies(a -> {
            assertThat(a.labels()).isEqualTo(Map.of("route", "track"));
            assertThat(a.summary()).isEqualTo("ingest route track: the oldest of 10 waiting records has waited 600 s");
        });
        state.ingest = List.of(new Signals.IngestState("track", 10, 400, 0));
        seconds(120);
        assertThat(drive.resolved("ingest_backlog_age")).as("between the thresholds it holds").isEmpty();
        state.ingest = List.of(new Signals.IngestState("track", 0, 0, 0));
        seconds(61);
        assertThat(drive.resolved("ingest_backlog_age")).hasSize(1);

        for (long q = 1; q <= 10; q++) {
            state.ingest = List.of(new Signals.IngestState("track", 0, 0, q));
            seconds(30);
        }
        assertThat(drive.raised("ingest_quarantine_growth")).singleElement().satisfies(a ->
                assertThat(a.evidence()).containsEntry("quarantined_10m", 10L).containsEntry("quarantined", 10L));
        seconds(9 * 60);
        assertThat(drive.resolved("ingest_quarantine_growth")).isEmpty();
        seconds(61);
        assertThat(drive.resolved("ingest_quarantine_growth")).hasSize(1);
    }

    @Test
    void eventLoopLag_withABand() {
        state.lag = 0.6;
        seconds(4);
        state.lag = 0.3; // in the band: does not count towards the raise
        seconds(1);
        state.lag = 0.6;
        seconds(5);
        assertThat(drive.changes).isEmpty();
        seconds(1);
        assertThat(drive.raised("event_loop_lag")).singleElement().satisfies(a ->
                assertThat(a.summary()).isEqualTo("the worst data event loop runs 600 ms late"));
        state.lag = 0.2;
        seconds(100);
        assertThat(drive.resolved("event_loop_lag")).isEmpty();
        state.lag = 0.01;
        seconds(31);
        assertThat(drive.resolved("event_loop_lag")).hasSize(1);
    }

    @Test
    void aRollback_firesAnInfoAlert_forAnHour() {
        alerts.configRolledBack("7", "canary regressed: error rate 4.1% vs 0.2%");
        seconds(1);
        Alert a = drive.raised("config_rolled_back").get(0);
        assertThat(a.severity()).isEqualTo(Severity.INFO);
        assertThat(a.labels()).isEqualTo(Map.of("version", "7"));
        assertThat(a.summary()).isEqualTo("config version 7 was rolled back: canary regressed: error rate 4.1% vs"
                + " 0.2%");
        assertThat(a.evidence()).containsEntry("version", "7").containsKey("at");
        drive.run(59, Duration.ofMinutes(1), i -> { });
        assertThat(drive.resolved("config_rolled_back")).isEmpty();
        drive.run(1, Duration.ofMinutes(1), i -> { });
        assertThat(drive.resolved("config_rolled_back")).hasSize(1);
        assertThat(alerts.active()).isEmpty();
    }

    @Test
    void aProbeThatThrows_leavesItsAlertsAsTheyAre_andAListenerThatThrowsHarmsNoOther() {
        List<String> told = new ArrayList<>();
        alerts.addListener((before, after) -> {
            throw new IllegalStateException("listener bug");
        });
        alerts.addListener((before, after) -> told.add(after.name()));
        state.fallback = true;
        seconds(11);
        assertThat(told).containsExactly("ratelimit_fallback");
        state.broken = true;
        state.lag = 0.9;
        seconds(60);
        assertThat(alerts.active()).extracting(Alert::name).contains("ratelimit_fallback")
                .as("the other probes are still judged").contains("event_loop_lag");
        state.broken = false;
        state.fallback = false;
        state.lag = 0;
        seconds(31);
        assertThat(alerts.active()).isEmpty();
    }

    @Test
    void metrics_countActiveAlertsBySeverity_andRaisesByName() {
        GatewayMetrics metrics = new GatewayMetrics();
        alerts.register(metrics);
        assertThat(metrics.scrape()).contains("palisade_alerts_active{severity=\"page\"} 0.0",
                "palisade_alerts_active{severity=\"ticket\"} 0.0", "palisade_alerts_active{severity=\"info\"} 0.0");
        state.clusters = List.of(new Signals.ClusterState("orders", 3, 0, false, false));
        alerts.configRolledBack("7", "why");
        seconds(6);
        assertThat(metrics.scrape()).contains("palisade_alerts_active{severity=\"page\"} 1.0",
                "palisade_alerts_active{severity=\"info\"} 1.0",
                "palisade_alerts_firing{alert=\"cluster_no_healthy_endpoint\",severity=\"page\"} 1.0",
                "palisade_alerts_raised_total{alert=\"config_rolled_back\",severity=\"info\"} 1.0");
        assertThat(alerts.active()).extracting(Alert::severity).containsExactly(Severity.PAGE, Severity.INFO);
        assertThat(now()).isAfter(T0);
    }
}
