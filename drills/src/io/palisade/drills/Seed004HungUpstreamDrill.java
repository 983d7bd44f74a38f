package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Seed 004: a dependency accepted connections and never answered; with no timeout, every serving thread waited on it.
 * Here one route's upstream is such a server. Its callers must get 504 at the route's deadline while another route
 * keeps its latency, and no event loop may stall.
 *
 * <p>The deadline is 3 s, so that anything that waited on the hung upstream stands out from scheduling noise: the
 * other route's p99 must stay within {@link NoiseBounds#p99Ms} (10 x its p99 before, 10 x a {@link NoiseControl}'s
 * alongside, at least 1 s), and the event loops' worst lag while the hung route is saturated within 10 x the worst lag
 * of a thread of the drill's own JVM, and at least the deadline: a loop that waited on the hung upstream would lag by a
 * whole deadline per parked request, back to back.
 *
 * <p>Detect and tell: the hung route's SLO burns, and an incident must open on the public status page by itself while
 * the fault lasts (goal: within 120 s), naming the hung route's component and not the other one; when the dependency
 * answers again, it must move to {@code monitoring} and resolve by itself. The report gives the seconds.
 */
class Seed004HungUpstreamDrill {
    private static final Pattern LAG = Pattern.compile("palisade_event_loop_lag_max_seconds ([0-9.eE-]+)");
    private static final Duration DEADLINE = Duration.ofSeconds(3);
    /** Requests of the other route before, and again while the hung route is saturated. */
    private static final int OK_REQUESTS = DrillLength.pick(2_000, 4_000);

    @Test
    void hungUpstream_504AtDeadline_otherRoutesUnaffected_incidentOpensAndResolvesByItself() throws Exception {
        Report report = new Report("seed004-hung-upstream");
        int hungPort = Ports.free();
        int statusPort = Ports.free();
        SilentServer hung = new SilentServer(hungPort);
        TestUpstream healed = null;
        try (TestUpstream fast = TestUpstream.start("fast")) {
            String yaml = """
                    access_log: { enabled: false }
                    clusters:
                      hung:
                        endpoints: [ "%s" ]
                        timeouts: { connect: 1s, request: 10s, idle: 30s }
                        retries: { attempts: 0 }
                        limits: { max_connections: 4096, max_pending: 4096, max_requests: 4096 }
                        outlier: { consecutive_failures: 1000000, ejection: 1s }
                      fast:
                        endpoints: [ "%s" ]
                    routes:
                      - name: hung
                        match: { path_prefix: /hung }
                        cluster: hung
                        timeouts: { request: %dms }
                      - name: ok
                        match: { path_prefix: /ok }
                        cluster: fast
                    """.formatted(hung.address(), fast.address(), DEADLINE.toMillis())
                    + StatusWatch.yaml(statusPort, "hung", "ok");
            try (GatewayProcess gw = GatewayProcess.start("seed004", yaml, Ports.free(), Ports.free());
                 LagProbe lagControl = new LagProbe();
                 StatusWatch watch = StatusWatch.start(statusPort)) {
                List<Load.Sample> before;
                try (Load ok = new Load(4, Duration.ofSeconds(30),
                        n -> Load.get(gw.url("/ok"), Duration.ofSeconds(10)))) {
                    before = ok.runUntil(OK_REQUESTS).samples();
                }
                // The worst lag since start covers the gateway's start and warm-up too; only a rise during the hung
                // phase is that phase's doing.
                double lagBeforeMs = maxLag(gw.metrics()) * 1000;
                NoiseControl control = new NoiseControl(fast);
                List<Load.Sample> during;
                List<Load.Sample> hungSamples;
                StatusWatch.Sighting opened;
                Map<String, String> componentsDuring;
                long faultAt = System.nanoTime();
                try (Load bad = new Load(64, Duration.ofSeconds(60),
                        n -> Load.get(gw.url("/hung"), Duration.ofSeconds(10)));
                     Load ok = new Load(4, Duration.ofSeconds(60),
                             n -> Load.get(gw.url("/ok"), Duration.ofSeconds(10)))) {
                    // The hung route stays saturated (64 callers parked on it) for as long as the other route
                    // takes to serve as many requests as in the baseline.
                    ok.runUntil(OK_REQUESTS);
                    // The fault lasts until the status page has said so (or the goal's 120 s have passed).
                    opened = watch.await("investigating", faultAt, Duration.ofSeconds(120));
                    componentsDuring = watch.components();
                    bad.runUntil(0);
                    during = ok.samples();
                    hungSamples = bad.samples();
                }
                double controlP99 = control.stop();
                double lagAfterMs = maxLag(gw.metrics()) * 1000;
                double slowestHungMs = hungSamples.stream().mapToLong(Load.Sample::latencyMicros).max().orElse(0)
                        / 1000.0;
                double beforeP99 = Load.percentileMs(before, 0.99);
                double duringP99 = Load.percentileMs(during, 0.99);
                double okBound = NoiseBounds.p99Ms(beforeP99, controlP99);
                report.line("%s run; machine load average %s (2 shared cores)", DrillLength.name(),
                        Report.loadAverage());
                report.line("hung route: %d requests, statuses %s, fastest %.0f ms, slowest %.0f ms (deadline %d ms)",
                        hungSamples.size(), Load.statusCounts(hungSamples),
                        hungSamples.stream().mapToLong(Load.Sample::latencyMicros).min().orElse(0) / 1000.0,
                        slowestHungMs, DEADLINE.toMillis());
                report.line("other route: p50 %.2f ms / p99 %.2f ms before, p50 %.2f ms / p99 %.2f ms during (%s),"
                                + " slowest %.2f ms (%d and %d requests, statuses %s)", Load.percentileMs(before, 0.5),
                        beforeP99, Load.percentileMs(during, 0.5), duringP99,
                        NoiseBounds.explain(beforeP99, controlP99, NoiseBounds.P99_FLOOR, okBound),
                        Load.percentileMs(during, 1.0), before.size(), during.size(), Load.statusCounts(during));
                report.line("control while the hung route was saturated: %s", control.figures());
                double lagControlMs = lagControl.maxLagSeconds() * 1000;
                double lagBound = Math.max(NoiseBounds.FACTOR * lagControlMs, DEADLINE.toMillis());
                report.line("worst event-loop lag: %.1f ms before the hung phase (start and warm-up included), %.1f ms"
                        + " after it; a thread of the drill's own JVM: %.1f ms (bound max(%d x %.1f, deadline %d) ="
                        + " %.0f ms); silent server accepted %d connections", lagBeforeMs, lagAfterMs, lagControlMs,
                        NoiseBounds.FACTOR, lagControlMs, DEADLINE.toMillis(), lagBound, hung.acceptedCount());

                // The dependency answers again: the incident moves to monitoring and resolves with no one touching it.
                hung.close();
                healed = TestUpstream.start("healed", hungPort);
                long recoveredAt = System.nanoTime();
                StatusWatch.Sighting monitoring;
                StatusWatch.Sighting resolved;
                List<Load.Sample> afterRecovery;
                try (Load again = new Load(2, Duration.ofSeconds(180),
                        n -> Load.get(gw.url("/hung"), Duration.ofSeconds(10)))) {
                    monitoring = watch.await("monitoring", recoveredAt, Duration.ofSeconds(120));
                    resolved = watch.await("resolved", recoveredAt, Duration.ofSeconds(120));
                    again.stop();
                    afterRecovery = again.samples();
                }
                report.line("status page: incident \"%s\" (impact %s) seen %.1f s after the fault began (goal <= 120 s;"
                                + " the route's deadline is %d ms); components then %s; after the dependency came back:"
                                + " monitoring after %.1f s, resolved after %.1f s (resolve_after %d s); %d changes"
                                + " of status seen in all, %d requests on the route after recovery %s",
                        opened.name(), opened.impact(), StatusWatch.seconds(faultAt, opened), DEADLINE.toMillis(),
                        componentsDuring, StatusWatch.seconds(recoveredAt, monitoring),
                        StatusWatch.seconds(recoveredAt, resolved), StatusWatch.RESOLVE_AFTER.toSeconds(),
                        watch.sightings().size(), afterRecovery.size(), Load.statusCounts(afterRecovery));
                assertThat(StatusWatch.seconds(faultAt, opened)).as("seconds from fault to incident")
                        .isLessThanOrEqualTo(120);
                assertThat(componentsDuring.get("hung")).as("the hung route's component").isNotEqualTo("operational");
                assertThat(componentsDuring.get("ok")).as("the other route's component").isEqualTo("operational");
                assertThat(watch.incidents())
                        .as("one fault, one incident").isEqualTo(1);
                assertThat(watch.components()).as("all operational once resolved").containsOnlyKeys("hung", "ok")
                        .allSatisfy((id, status) -> assertThat(status).isEqualTo("operational"));
                assertThat(afterRecovery).isNotEmpty().allMatch(s -> s.status() == 200);

                assertThat(hungSamples).isNotEmpty().allMatch(s -> s.status() == 504);
                assertThat(hungSamples).as("answered at the deadline, not before")
                        .allMatch(s -> s.latencyMicros() >= DEADLINE.toNanos() / 1000);
                assertThat(during).isNotEmpty().allMatch(s -> s.status() == 200);
                // A request that waited on the hung upstream would wait its 3 s deadline: the bound is below that
                // unless the machine was that slow without the hung route.
                assertThat(duringP99).as("other route never waits on the hung one (p99, ms)")
                        .isLessThanOrEqualTo(okBound);
                assertThat(lagAfterMs).as("no event loop stalled on the hung upstream (worst lag, ms)")
                        .isLessThanOrEqualTo(Math.max(lagBound, lagBeforeMs));
                assertThat(gw.stop()).isIn(0, 143);
                assertThat(gw.logText()).doesNotContain("LEAK");
            }
        } finally {
            hung.close();
            if (healed != null) {
                healed.close();
            }
        }
    }

    private static double maxLag(String metrics) {
        Matcher m = LAG.matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}
