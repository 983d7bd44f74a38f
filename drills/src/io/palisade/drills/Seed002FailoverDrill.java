package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Seed 002: the network between the gateway and a cluster was cut and traffic had to be moved to the other cluster by
 * hand. Here the primary cluster's endpoints stop answering under steady load, first by refusing connections (closed),
 * then by accepting and never answering (silent); the gateway must move traffic to the failover cluster by itself and
 * move it back when the primary recovers.
 *
 * <p>Nothing here is timed closely: traffic must move within a minute (by hand, in the seed, it took tens of minutes),
 * and the deadlines and health-check timeouts sit well above what scheduling on a busy 2-core machine adds to a
 * loopback request (about a second at worst), so that the only errors are the cut's own.
 *
 * <p>Detect and tell: then the failover cluster is cut too, and nothing is left to serve (the seed's network cut with
 * no second cluster to take over). An incident must open on the public status page by itself (goal: within 120 s), and
 * when the primary is back it must move to {@code monitoring} and resolve by itself. Whether the two cuts that failover
 * absorbed opened one too is in the report (a burst of errors during the switch can burn enough budget to page).
 */
class Seed002FailoverDrill {
    private static final int WORKERS = 8;

    @Test
    void primaryClusterCut_trafficFailsOverAndBack() throws Exception {
        Report report = new Report("seed002-failover");
        int p1Port = Ports.free();
        int p2Port = Ports.free();
        TestUpstream backup = TestUpstream.start("backup");
        TestUpstream p1 = TestUpstream.start("primary", p1Port);
        TestUpstream p2 = TestUpstream.start("primary", p2Port);
        int statusPort = Ports.free();
        String yaml = """
                access_log: { enabled: false }
                clusters:
                  primary:
                    endpoints: [ "127.0.0.1:%d", "127.0.0.1:%d" ]
                    balancer: least_request
                    timeouts: { connect: 1s, request: 3s, idle: 30s }
                    health_check: { path: /healthz, interval: 1s, timeout: 500ms, unhealthy_after: 2, healthy_after: 2 }
                    outlier: { consecutive_failures: 3, ejection: 2s }
                    retries: { attempts: 2, budget: 50%% }
                    failover: backup
                  backup:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 1s, request: 3s, idle: 30s }
                routes:
                  - name: orders
                    match: { path_prefix: / }
                    cluster: primary
                """.formatted(p1Port, p2Port, backup.address()) + StatusWatch.yaml(statusPort, "orders");
        try (GatewayProcess gw = GatewayProcess.start("seed002", yaml, Ports.free(), Ports.free());
             StatusWatch watch = StatusWatch.start(statusPort);
             Load load = new Load(WORKERS, Duration.ofSeconds(300),
                     n -> Load.get(gw.url("/orders/" + n), Duration.ofSeconds(10)))) {
            awaitServedBy(load, "primary", 0);
            long pid = gw.pid();

            // Cut 1: connections refused.
            long cut1 = load.elapsedMs();
            long cutsBegan = System.nanoTime();
            p1.close();
            p2.close();
            long failover1 = awaitServedBy(load, "backup", cut1);
            Phase closed = phase(load.samples(), cut1, failover1);
            report.line("closed endpoints: failover after %.2f s, %d of %d requests in that window failed %s",
                    (failover1 - cut1) / 1000.0, closed.errors, closed.total, closed.statuses);

            // Recovery.
            long heal1 = load.elapsedMs();
            p1 = TestUpstream.start("primary", p1Port);
            p2 = TestUpstream.start("primary", p2Port);
            long back1 = awaitServedBy(load, "primary", heal1);
            report.line("primary back: traffic returned after %.2f s", (back1 - heal1) / 1000.0);

            // Cut 2: accepting but silent.
            long cut2 = load.elapsedMs();
            p1.close();
            p2.close();
            try (SilentServer s1 = new SilentServer(p1Port); SilentServer s2 = new SilentServer(p2Port)) {
                long failover2 = awaitServedBy(load, "backup", cut2);
                Phase silent = phase(load.samples(), cut2, failover2);
                report.line("silent endpoints: failover after %.2f s, %d of %d requests in that window failed %s",
                        (failover2 - cut2) / 1000.0, silent.errors, silent.total, silent.statuses);
                long settle = load.elapsedMs();
                awaitCount(load, settle, 400);
                Phase after = phase(load.samples(), settle, load.elapsedMs());
                report.line("after failover: %d requests, %d failed; the silent endpoints accepted %d connections",
                        after.total, after.errors, s1.acceptedCount() + s2.acceptedCount());
                assertThat(after.errors).as("errors once failed over").isZero();
            }
            // The errors of the switches may have burned enough budget to page: such an incident must resolve by
            // itself too, before the next fault, which then opens its own.
            long settled = System.nanoTime();
            if (watch.incidents() > 0) {
                StatusWatch.Sighting done = watch.await("resolved", cutsBegan, Duration.ofSeconds(120));
                report.line("status page during the two cuts that failover absorbed: %s; resolved %.1f s after"
                        + " failover settled", watch.sightings().stream().map(x -> x.status() + " after "
                        + String.format("%.1f s", StatusWatch.seconds(cutsBegan, x)) + " (" + x.impact() + ")")
                        .toList(), StatusWatch.seconds(settled, done));
            } else {
                report.line("status page during the two cuts that failover absorbed: no incident");
            }

            // Cut 3: the failover cluster goes too; nothing is left to serve.
            long cut3 = System.nanoTime();
            backup.close();
            StatusWatch.Sighting opened = watch.await("investigating", cut3, Duration.ofSeconds(120));
            var componentsDuring = watch.components();
            long heal3 = System.nanoTime();
            p1 = TestUpstream.start("primary", p1Port);
            p2 = TestUpstream.start("primary", p2Port);
            awaitServedBy(load, "primary", load.elapsedMs());
            StatusWatch.Sighting monitoring = watch.await("monitoring", heal3, Duration.ofSeconds(120));
            StatusWatch.Sighting resolved = watch.await("resolved", heal3, Duration.ofSeconds(120));
            report.line("both clusters cut: incident \"%s\" (impact %s) seen %.1f s after the cut (goal <= 120 s);"
                            + " components then %s; primary back: monitoring after %.1f s, resolved after %.1f s"
                            + " (resolve_after %d s); %d incident(s) over the drill", opened.name(), opened.impact(),
                    StatusWatch.seconds(cut3, opened), componentsDuring, StatusWatch.seconds(heal3, monitoring),
                    StatusWatch.seconds(heal3, resolved), StatusWatch.RESOLVE_AFTER.toSeconds(), watch.incidents());
            assertThat(StatusWatch.seconds(cut3, opened)).as("seconds from fault to incident").isLessThanOrEqualTo(120);
            assertThat(componentsDuring.get("orders")).isNotEqualTo("operational");
            assertThat(watch.components().get("orders")).as("operational once resolved").isEqualTo("operational");
            load.stop();
            List<Load.Sample> all = load.samples();
            report.line("total requests %d, statuses %s, slowest %.0f ms (client timeout 10 s); machine load"
                    + " average %s", all.size(), Load.statusCounts(all), Load.percentileMs(all, 1.0),
                    Report.loadAverage());
            assertThat(gw.alive()).isTrue();
            assertThat(gw.pid()).isEqualTo(pid);
            assertThat(all.stream().filter(s -> s.status() != 200)
                    .allMatch(s -> s.status() == 502 || s.status() == 503 || s.status() == 504))
                    .as("failures are gateway errors, never a hang or a reset").isTrue();
            assertThat(gw.stop()).isIn(0, 143);
            assertThat(gw.logText()).doesNotContain("LEAK");
        } finally {
            backup.close();
            p1.close();
            p2.close();
        }
    }

    private record Phase(long total, long errors, Object statuses) {}

    private static Phase phase(List<Load.Sample> samples, long fromMs, long toMs) {
        List<Load.Sample> in = samples.stream().filter(s -> s.sentAtMs() >= fromMs && s.sentAtMs() < toMs).toList();
        return new Phase(in.size(), in.stream().filter(s -> s.status() != 200).count(), Load.statusCounts(in));
    }

    /**
     * Waits until 50 consecutive answers sent after {@code fromMs} came from {@code upstream}; returns the send time
     * of the first of them (the moment traffic had moved).
     */
    private static long awaitServedBy(Load load, String upstream, long fromMs) throws InterruptedException {
        long limit = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < limit) {
            List<Load.Sample> s = load.samples().stream().filter(x -> x.sentAtMs() >= fromMs)
                    .sorted(java.util.Comparator.comparingLong(Load.Sample::sentAtMs)).toList();
            int run = 0;
            for (int i = 0; i < s.size(); i++) {
                run = upstream.equals(s.get(i).upstream()) && s.get(i).status() == 200 ? run + 1 : 0;
                if (run == 50) {
                    return s.get(i - 49).sentAtMs();
                }
            }
            Thread.sleep(50); // polling the load's results
        }
        throw new AssertionError("traffic did not move to " + upstream + " within 60 s");
    }

    private static void awaitCount(Load load, long fromMs, int n) throws InterruptedException {
        long limit = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (load.samples().stream().filter(s -> s.sentAtMs() >= fromMs).count() < n) {
            if (System.nanoTime() > limit) {
                throw new AssertionError("fewer than " + n + " requests answered within 60 s");
            }
            Thread.sleep(50); // polling the load's results
        }
    }
}
