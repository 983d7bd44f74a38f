package io.palisade.alert;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.slo.Outcomes;
import io.palisade.slo.SloEngine;
import io.palisade.slo.SloSettings;
import io.palisade.testing.FakeTicker;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A flood of good then bad outcomes on a drill-sized SLO ({@code window: 6h}: every burn window 120 times shorter):
 * the page fires within seconds and resolves after the burn stops, with the hysteresis of the scaled windows.
 */
class SloAlertTest {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final Duration STEP = Duration.ofMillis(500);
    /** 40 requests a second. */
    static final int PER_STEP = 20;

    private final FakeTicker ticker = new FakeTicker();
    private final SloEngine slos = SloEngine.create(List.of(new SloSettings("orders-availability",
            List.of("orders"), 0.999, Duration.ofHours(6), Optional.empty())), ticker.clock(T0));
    private final AlertEngine alerts = AlertEngine.builder(ticker.clock(T0)).slos(slos).build();
    private final Drive drive = new Drive(ticker, alerts, slos);

    private Instant now() {
        return T0.plusNanos(ticker.read());
    }

    @Test
    void aFault_pagesWithinSeconds_andTheAlertResolvesAfterRecovery() {
        drive.run(360, STEP, i -> Outcomes.send(slos, "orders", PER_STEP, 0)); // 3 minutes of good traffic
        assertThat(alerts.active()).isEmpty();
        assertThat(drive.changes).isEmpty();

        Instant fault = now();
        drive.run(40, STEP, i -> Outcomes.send(slos, "orders", 0, PER_STEP)); // 20 s of nothing but 502s
        List<Alert> pages = drive.raised("slo_burn").stream().filter(a -> a.severity() == Severity.PAGE).toList();
        assertThat(pages).hasSize(1);
        Alert page = pages.get(0);
        Duration toPage = Duration.between(fault, page.since());
        assertThat(toPage).as("fault to page").isLessThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(page.labels()).isEqualTo(Map.of("slo", "orders-availability"));
        assertThat(page.summary()).startsWith("orders-availability is burning its error budget ")
                .contains("over 1h (30s)", "over 5m (2.5s)", "(page above 14.4)");
        assertThat(page.evidence()).containsKeys("burn_rate_1h", "burn_rate_5m", "requests_1h", "objective",
                "budget_remaining", "rule").containsEntry("window", "6h").containsEntry("rule", "1h and 5m above 14.4");
        assertThat(drive.raised("slo_burn")).extracting(Alert::severity).contains(Severity.TICKET);
        assertThat(alerts.active()).extracting(Alert::severity).startsWith(Severity.PAGE);

        Instant recovery = now();
        drive.run(120, STEP, i -> Outcomes.send(slos, "orders", PER_STEP, 0)); // a minute of good traffic
        List<Alert> resolved = drive.resolved("slo_burn").stream().filter(a -> a.severity() == Severity.PAGE)
                .toList();
        assertThat(resolved).hasSize(1);
        Duration toResolve = Duration.between(recovery, resolved.get(0).until().orElseThrow());
        // The fast row stops once the 5m window (2.5 s) is clean, the slow one once the 30m window (15 s) is; then
        // the page waits one more 5m window (2.5 s) of quiet before it resolves.
        assertThat(toResolve).as("recovery to resolution").isBetween(Duration.ofSeconds(15), Duration.ofSeconds(20));
        assertThat(resolved.get(0).since()).isEqualTo(page.since());
        assertThat(resolved.get(0).summary()).contains("burns below the page thresholds");
        assertThat(drive.raised("slo_burn").stream().filter(a -> a.severity() == Severity.PAGE)).as("no flapping")
                .hasSize(1);
        assertThat(alerts.recent()).extracting(Alert::name).contains("slo_burn");
        assertThat(alerts.active()).extracting(Alert::severity).containsOnly(Severity.TICKET);
    }

    @Test
    void noTraffic_isNoSignal_notAnAlert() {
        drive.run(100, STEP, i -> { });
        assertThat(drive.changes).isEmpty();
        // A trickle of failures below the minimum in every window: still nothing.
        drive.run(100, STEP, i -> {
            if (i % 10 == 0) {
                Outcomes.send(slos, "orders", 0, 1);
            }
        });
        assertThat(slos.statuses().get(0).window(io.palisade.slo.BurnWindow.H1).total()).isLessThan(
                SloEngine.MIN_EVENTS);
        assertThat(drive.changes).isEmpty();
    }

    @Test
    void aFiringPage_resolvesAfterTheScaledHourWithoutSignal_whenTrafficStops() {
        drive.run(120, STEP, i -> Outcomes.send(slos, "orders", PER_STEP, 0));
        drive.run(20, STEP, i -> Outcomes.send(slos, "orders", 0, PER_STEP));
        assertThat(alerts.active()).extracting(Alert::severity).contains(Severity.PAGE);
        Instant silence = now();
        drive.run(200, STEP, i -> { }); // no requests at all for 100 s
        Alert resolved = drive.resolved("slo_burn").stream().filter(a -> a.severity() == Severity.PAGE)
                .findFirst().orElseThrow();
        assertThat(resolved.summary()).startsWith("no signal for 30s: ");
        assertThat(Duration.between(silence, resolved.until().orElseThrow())).isLessThan(Duration.ofSeconds(60));
    }

    @Test
    void anSloLeavingTheConfig_resolvesItsAlerts() {
        drive.run(120, STEP, i -> Outcomes.send(slos, "orders", PER_STEP, 0));
        drive.run(20, STEP, i -> Outcomes.send(slos, "orders", 0, PER_STEP));
        assertThat(alerts.active()).isNotEmpty();
        slos.update(List.of());
        alerts.evaluate();
        assertThat(alerts.active()).isEmpty();
        assertThat(drive.resolved("slo_burn")).allSatisfy(a -> assertThat(a.summary()).endsWith(
                "(resolved: no longer watched)"));
    }
}
