package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.palisade.testing.PacedLoad;
import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Seed 004: a config change pointed the auth library at a wrong address, skipped testing, hung every serving thread
 * and took an hour to roll back. Here version 2 points the external auth provider at an address that accepts and never
 * answers. Pre-flight refuses it, naming the address; forced, it enters a 1 % canary and the gateway rolls it back by
 * itself. Figures: seconds from the first failing request to the rollback (goal at most 30 s) and the share of all
 * requests that failed (goal under 2 %).
 */
class Seed004ReleaseDrill {
    private static final double RATE = 200;
    private static final Duration LOAD = DrillLength.pick(Duration.ofSeconds(60), Duration.ofSeconds(120));

    private static String config(int authPort, String appAddress) {
        return """
                access_log: { enabled: false }
                rollout:
                  steps: [1%%, 10%%, 50%%, 100%%]
                  step_duration: 20s
                  min_requests: 100
                  split_by: request
                  judge: { interval: 1s }
                auth:
                  external:
                    policy:
                      url: "http://127.0.0.1:%d/check"
                      timeout: 1s
                      forward_headers: [authorization]
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - name: secure
                    match: { path_prefix: /secure }
                    cluster: app
                    auth: { any_of: ["external:policy"] }
                """.formatted(authPort, appAddress);
    }

    @Test
    void hungAuthVersion_refusedAtPreflight_forcedIntoCanary_rolledBackBySelf() throws Exception {
        Report report = new Report("seed004-release");
        int goodPort = Ports.free();
        int silentPort = Ports.free();
        ReleaseDrills.AnsweringAuth good = new ReleaseDrills.AnsweringAuth(goodPort);
        SilentServer silent = new SilentServer(silentPort);
        try (TestUpstream app = TestUpstream.start("app");
             GatewayProcess gw = GatewayProcess.start("seed004-release", config(goodPort, app.address()),
                     Ports.free(), Ports.free())) {
            String bad = config(silentPort, app.address());
            PacedLoad load = PacedLoad.start(gw.port(), null, 24, RATE, LOAD, Long.MAX_VALUE,
                    n -> new PacedLoad.Get("/secure/" + n, "Authorization", "Bearer caller-" + n));
            Thread.sleep(3_000); // a baseline of traffic on version 1

            HttpResponse<String> refused = ReleaseDrills.apply(gw, bad, "new policy server", false, false);
            report.line("pre-flight: %d %s", refused.statusCode(), refused.body().replaceAll("\\s+", " "));
            assertThat(refused.statusCode()).isEqualTo(422);
            assertThat(refused.body()).contains("auth.external.policy.url").contains("127.0.0.1:" + silentPort);
            assertThat(ReleaseDrills.get(gw, "/config/rollout").path("state").asText()).isEqualTo("none");

            long applied = System.nanoTime();
            HttpResponse<String> forced = ReleaseDrills.apply(gw, bad, "new policy server, forced", true, false);
            assertThat(forced.statusCode()).as(forced.body()).isEqualTo(201);
            long canary = ReleaseDrills.json(forced).path("version").asLong();
            assertThat(ReleaseDrills.json(forced).path("state").asText()).isEqualTo("canary");
            long rolledBack = ReleaseDrills.awaitRollout(gw, r -> r.path("state").asText().equals("none")
                    && r.path("last").path("outcome").asText().equals("rolled_back"), 120_000);
            Thread.sleep(3_000); // traffic after the rollback
            List<PacedLoad.Sample> samples = load.stop().samples();

            long base = load.startNanos();
            long firstFailure = samples.stream().filter(ReleaseDrills::failed)
                    .filter(s -> base + s.sentNanos() >= applied).mapToLong(PacedLoad.Sample::sentNanos).min()
                    .orElseThrow(() -> new AssertionError("no canary request failed: the drill saw no canary"));
            double seconds = (rolledBack - (base + firstFailure)) / 1e9;
            long failed = ReleaseDrills.failures(samples);
            double share = 100.0 * failed / samples.size();
            long afterRollback = samples.stream().filter(s -> base + s.sentNanos() > rolledBack + 1_000_000_000L)
                    .filter(ReleaseDrills::failed).count();
            JsonNode last = ReleaseDrills.get(gw, "/config/rollout").path("last");
            report.line("canary version %d rolled back %.1f s after its first failing request (goal <= 30 s): %s",
                    canary, seconds, last.path("reason").asText());
            report.line("requests: %d, failed %d (%.2f %%, goal < 2 %%), failed after the rollback: %d; load %s",
                    samples.size(), failed, share, afterRollback, Report.loadAverage());
            assertThat(seconds).isLessThanOrEqualTo(30.0);
            assertThat(share).isLessThan(2.0);
            assertThat(afterRollback).isZero();

            JsonNode versions = ReleaseDrills.get(gw, "/config/versions").path("versions");
            assertThat(stateOf(versions, canary)).isEqualTo("rolled_back");
            assertThat(stateOf(versions, 1)).isEqualTo("active");
            assertThat(versions.toString()).contains("\"rejected\"");
            String audit = ReleaseDrills.get(gw, "/audit").toString();
            assertThat(audit).contains("rollout.auto_rollback").contains("config.apply.rejected");
            report.line("versions: %s", versions.toString().toLowerCase(Locale.ROOT).replaceAll("\"hash\":\"\\w+\",", ""));
        } finally {
            good.close();
            silent.close();
            report.line("load average %s", Report.loadAverage());
        }
    }

    static String stateOf(JsonNode versions, long number) {
        for (JsonNode v : versions) {
            if (v.path("version").asLong() == number) {
                return v.path("state").asText();
            }
        }
        return "missing";
    }
}
