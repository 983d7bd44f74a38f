package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.palisade.testing.PacedLoad;
import io.palisade.testing.TestUpstream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Seed 002: the team served one API from two clusters and, during a network incident, diverted all traffic to one of
 * them by hand; the diversion was misconfigured and answered errors for six minutes. Here a route is split 50/50 over
 * two clusters. Cutting one cluster off moves its share to the other by itself; diverting 100 % to the cluster that is
 * down is refused before it applies, naming the cluster; diverting to the healthy one goes through the canary steps,
 * with clients split by address (32 clients on 127.0.0.10-41), and is promoted.
 */
class Seed002DiversionDrill {
    private static final int CLIENTS = 32;
    private static final double RATE = 300;

    private static String config(int euWeight, int usWeight, TestUpstream[] eu, TestUpstream[] us) {
        return """
                access_log: { enabled: false }
                rollout:
                  steps: [25%%, 50%%, 100%%]
                  step_duration: 3s
                  min_requests: 50
                  split_by: client_ip
                  judge: { interval: 500ms }
                clusters:
                  orders-eu:
                    endpoints: [ "%s", "%s" ]
                    health_check: { path: /healthz, interval: 500ms, timeout: 250ms, unhealthy_after: 2 }
                  orders-us:
                    endpoints: [ "%s", "%s" ]
                    health_check: { path: /healthz, interval: 500ms, timeout: 250ms, unhealthy_after: 2 }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    clusters: [ { name: orders-eu, weight: %d }, { name: orders-us, weight: %d } ]
                """.formatted(eu[0].address(), eu[1].address(), us[0].address(), us[1].address(), euWeight,
                usWeight);
    }

    @Test
    void cutClusterSharesMove_divertToDownClusterRefused_divertToHealthyStagedAndPromoted() throws Exception {
        Report report = new Report("seed002-diversion");
        TestUpstream[] eu = {TestUpstream.start("eu-1"), TestUpstream.start("eu-2")};
        TestUpstream[] us = {TestUpstream.start("us-1"), TestUpstream.start("us-2")};
        try (GatewayProcess gw = GatewayProcess.start("seed002-diversion", config(50, 50, eu, us), Ports.free(),
                Ports.free())) {
            PacedLoad load = PacedLoad.startFromSources(gw.port(), Seed002DiversionDrill::client, CLIENTS, RATE,
                    Duration.ofSeconds(90), Long.MAX_VALUE, n -> new PacedLoad.Get("/orders/" + n));
            Thread.sleep(2_000);
            int usBefore = us[0].requestCount() + us[1].requestCount();
            int euBefore = eu[0].requestCount() + eu[1].requestCount();
            report.line("50/50 before the cut: eu %d, us %d requests", euBefore, usBefore);
            assertThat(usBefore).isPositive();
            assertThat(euBefore).isPositive();

            long cut = System.nanoTime();
            us[0].close();
            us[1].close();
            await().atMost(Duration.ofSeconds(30)).until(() -> unhealthy(gw, "orders-us") == 2);
            long noticed = System.nanoTime();
            Thread.sleep(2_000);

            HttpResponse<String> refused = ReleaseDrills.apply(gw, config(0, 100, eu, us), "divert to us", false,
                    false);
            report.line("divert 100%% to the cluster that is down: %d %s", refused.statusCode(),
                    refused.body().replaceAll("\\s+", " "));
            assertThat(refused.statusCode()).isEqualTo(422);
            assertThat(refused.body()).contains("orders-us").contains("no healthy endpoint");

            long applied = System.nanoTime();
            HttpResponse<String> diverted = ReleaseDrills.apply(gw, config(100, 0, eu, us), "divert to eu", false,
                    false);
            assertThat(diverted.statusCode()).as(diverted.body()).isEqualTo(201);
            long version = ReleaseDrills.json(diverted).path("version").asLong();
            long promoted = ReleaseDrills.awaitRollout(gw, r -> r.path("state").asText().equals("none")
                    && r.path("last").path("outcome").asText().equals("promoted"), 60_000);
            Thread.sleep(1_000);
            List<PacedLoad.Sample> samples = load.stop().samples();

            long base = load.startNanos();
            long duringCut = count(samples, base, cut, noticed);
            long failedDuringCut = failures(samples, base, cut, noticed);
            long settled = noticed + 1_000_000_000L;
            long failedAfter = failures(samples, base, settled, Long.MAX_VALUE);
            long failedRollout = failures(samples, base, applied, promoted);
            report.line("cut-off: health checks noticed in %.1f s; %d of %d requests failed meanwhile, %d failed"
                            + " after (goal 0)", (noticed - cut) / 1e9, failedDuringCut, duringCut, failedAfter);
            report.line("diversion to eu as version %d: staged and promoted in %.1f s, %d requests failed during it"
                    + " (goal 0); load %s", version, (promoted - applied) / 1e9, failedRollout, Report.loadAverage());
            assertThat(failedAfter).isZero();
            JsonNode versions = ReleaseDrills.get(gw, "/config/versions").path("versions");
            assertThat(Seed004ReleaseDrill.stateOf(versions, version)).isEqualTo("active");
            assertThat(ReleaseDrills.get(gw, "/audit").toString()).contains("rollout.promote")
                    .contains("rollout.step");
        } finally {
            for (TestUpstream u : eu) {
                u.close();
            }
            for (TestUpstream u : us) {
                u.close();
            }
        }
    }

    private static InetAddress client(int worker) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (10 + worker)});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int unhealthy(GatewayProcess gw, String cluster) throws Exception {
        JsonNode clusters = ReleaseDrills.JSON.readTree(gw.adminCall("GET", "/clusters", null).body());
        for (JsonNode c : clusters) {
            if (c.path("name").asText().equals(cluster)) {
                int down = 0;
                for (JsonNode e : c.path("endpoints")) {
                    if (e.path("health").asText().equalsIgnoreCase("unhealthy")) {
                        down++;
                    }
                }
                return down;
            }
        }
        return -1;
    }

    private static long count(List<PacedLoad.Sample> s, long base, long from, long to) {
        return s.stream().filter(x -> base + x.sentNanos() >= from && base + x.sentNanos() < to).count();
    }

    private static long failures(List<PacedLoad.Sample> s, long base, long from, long to) {
        return s.stream().filter(x -> base + x.sentNanos() >= from && base + x.sentNanos() < to)
                .filter(ReleaseDrills::failed).count();
    }
}
