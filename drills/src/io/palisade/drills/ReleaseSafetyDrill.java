package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.palisade.testing.PacedLoad;
import io.palisade.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The release path's own guarantees under steady load (seed 004's "unsuccessful attempt to revert"): a rollback
 * takes under a second and fails no request; a version that behaves like the active one is promoted every time (A/A;
 * one run here, twenty behind {@code bin/test-long}); a crash during a rollout leaves the last promoted version
 * serving; and bad admin input is refused with a clear 4xx, changes nothing, and shows in the audit.
 */
class ReleaseSafetyDrill {
    private static final int AA_RUNS = DrillLength.pick(1, 20);

    private static String config(String upstream, String note, String rollout) {
        return """
                # %s
                access_log: { enabled: false }
                rollout: %s
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - name: api
                    match: { path_prefix: /api }
                    cluster: app
                """.formatted(note, rollout, upstream);
    }

    private static final String STAGED = "{ steps: [10%, 50%, 100%], step_duration: 3s, min_requests: 100,"
            + " split_by: request, judge: { interval: 500ms } }";

    @Test
    void rollbackUnderLoad_underOneSecond_noFailedRequest() throws Exception {
        Report report = new Report("release-rollback");
        try (TestUpstream one = TestUpstream.start("one");
             TestUpstream two = TestUpstream.start("two");
             GatewayProcess gw = GatewayProcess.start("release-rollback", config(one.address(), "v1", STAGED),
                     Ports.free(), Ports.free())) {
            HttpResponse<String> applied = ReleaseDrills.apply(gw, config(two.address(), "v2", STAGED),
                    "move to two", false, true);
            assertThat(applied.statusCode()).as(applied.body()).isEqualTo(201);
            PacedLoad load = PacedLoad.start(gw.port(), null, 16, 300, Duration.ofSeconds(30), Long.MAX_VALUE,
                    n -> new PacedLoad.Get("/api/" + n));
            Thread.sleep(2_000);
            int twoBefore = two.requestCount();
            long t0 = System.nanoTime();
            HttpResponse<String> rolledBack = gw.adminCall("POST", "/config/rollback", "");
            double ms = (System.nanoTime() - t0) / 1e6;
            int oneAtRollback = one.requestCount();
            Thread.sleep(2_000);
            List<PacedLoad.Sample> samples = load.stop().samples();
            long failed = ReleaseDrills.failures(samples);
            report.line("config rollback under %d req/s: answered %d in %.1f ms (goal < 1000 ms); %d of %d requests"
                    + " failed (goal 0); after it upstream one took %d requests; load %s", 300,
                    rolledBack.statusCode(), ms, failed, samples.size(), one.requestCount() - oneAtRollback,
                    Report.loadAverage());
            assertThat(rolledBack.statusCode()).as(rolledBack.body()).isEqualTo(200);
            assertThat(twoBefore).isPositive();
            assertThat(ms).isLessThan(1_000);
            assertThat(failed).isZero();
            assertThat(one.requestCount()).isGreaterThan(oneAtRollback);
            JsonNode versions = ReleaseDrills.get(gw, "/config/versions").path("versions");
            assertThat(Seed004ReleaseDrill.stateOf(versions, 1)).isEqualTo("active");
            assertThat(Seed004ReleaseDrill.stateOf(versions, 2)).isEqualTo("rolled_back");
        }
    }

    @Test
    void aaRelease_isPromotedEveryTime() throws Exception {
        Report report = new Report("release-aa");
        try (TestUpstream app = TestUpstream.start("app");
             GatewayProcess gw = GatewayProcess.start("release-aa", config(app.address(), "run 0", STAGED),
                     Ports.free(), Ports.free())) {
            PacedLoad load = PacedLoad.start(gw.port(), null, 16, 300, Duration.ofMinutes(20), Long.MAX_VALUE,
                    n -> new PacedLoad.Get("/api/" + n));
            int promoted = 0;
            int rolledBack = 0;
            try {
                for (int run = 1; run <= AA_RUNS; run++) {
                    HttpResponse<String> applied = ReleaseDrills.apply(gw, config(app.address(), "run " + run,
                            STAGED), "A/A run " + run, false, false);
                    assertThat(applied.statusCode()).as(applied.body()).isEqualTo(201);
                    long version = ReleaseDrills.json(applied).path("version").asLong();
                    ReleaseDrills.awaitRollout(gw, r -> r.path("state").asText().equals("none")
                            && r.path("last").path("version").asLong() == version, 120_000);
                    String outcome = ReleaseDrills.get(gw, "/config/rollout").path("last").path("outcome").asText();
                    if (outcome.equals("promoted")) {
                        promoted++;
                    } else {
                        rolledBack++;
                        report.line("run %d: %s", run, ReleaseDrills.get(gw, "/config/rollout").path("last"));
                    }
                }
            } finally {
                load.stop();
            }
            report.line("A/A: %d runs, %d promoted, %d false rollbacks (goal 0); load %s", AA_RUNS, promoted,
                    rolledBack, Report.loadAverage());
            assertThat(rolledBack).isZero();
        }
    }

    @Test
    void killedDuringRollout_lastPromotedServesAfterRestart_auditSaysInterrupted() throws Exception {
        Report report = new Report("release-crash");
        String slow = "{ steps: [10%, 50%, 100%], step_duration: 10m, split_by: request }";
        try (TestUpstream one = TestUpstream.start("one");
             TestUpstream two = TestUpstream.start("two")) {
            GatewayProcess gw = GatewayProcess.start("release-crash", config(one.address(), "v1", slow),
                    Ports.free(), Ports.free());
            GatewayProcess again = null;
            try {
                HttpResponse<String> applied = ReleaseDrills.apply(gw, config(two.address(), "v2", slow),
                        "to two", false, false);
                assertThat(applied.statusCode()).as(applied.body()).isEqualTo(201);
                assertThat(ReleaseDrills.get(gw, "/config/rollout").path("state").asText()).isEqualTo("running");
                gw.kill();
                again = GatewayProcess.restart(gw, "release-crash");
                JsonNode config = ReleaseDrills.get(again, "/config");
                JsonNode versions = ReleaseDrills.get(again, "/config/versions").path("versions");
                String audit = ReleaseDrills.get(again, "/audit").toString();
                report.line("after kill -9 during the rollout of version 2: version %s serves; versions %s",
                        config.path("version"), versions.toString().replaceAll("\"hash\":\"\\w+\",", ""));
                assertThat(config.path("version").asLong()).isEqualTo(1);
                assertThat(Seed004ReleaseDrill.stateOf(versions, 2)).isEqualTo("rolled_back");
                assertThat(audit).contains("rollout.interrupted");
                int before = one.requestCount();
                for (int i = 0; i < 20; i++) {
                    assertThat(LoopbackGet.status(again.port(), "/api/" + i)).isEqualTo(200);
                }
                assertThat(one.requestCount() - before).isEqualTo(20);
            } finally {
                if (again != null) {
                    again.close();
                }
                gw.close();
            }
        }
    }

    @Test
    void badAdminInput_clear4xx_nothingChanged_auditShowsRefusals() throws Exception {
        Report report = new Report("release-bad-input");
        Path dir = Files.createTempDirectory("palisade-drill-token");
        Path tokenFile = dir.resolve("admin.token");
        String token = "drill-token-0123456789abcdef";
        Files.writeString(tokenFile, token + "\n");
        try (TestUpstream app = TestUpstream.start("app");
             GatewayProcess gw = GatewayProcess.start("release-bad-input", tokenLine(tokenFile)
                     + config(app.address(), "v1", "{ steps: [50%, 100%], step_duration: 10m }"), Ports.free(),
                     Ports.free())) {
            Admin admin = new Admin(gw, token);
            String before = admin.versions();
            check(report, gw, "non-YAML body", admin.post("/config/versions",
                    "{\"yaml\": \"{{{ not: [yaml\", \"message\": \"m\"}"), 422, "errors");
            check(report, gw, "2 MiB body", admin.post("/config/versions",
                    "{\"yaml\": \"" + "a".repeat(2 * 1024 * 1024) + "\"}"), 413, "error");
            check(report, gw, "unknown version", admin.get("/config/versions/999"), 404, "999");
            check(report, gw, "rollback to unknown version", admin.post("/config/rollback",
                    "{\"version\": 999}"), 404, "999");
            check(report, gw, "missing token", admin.withToken(null).get("/config/versions"), 401, "unauthorized");
            check(report, gw, "wrong token", admin.withToken("wrong-token-0123456789").post("/config/rollback",
                    ""), 401, "unauthorized");
            assertThat(admin.versions()).isEqualTo(before);

            HttpResponse<String> first = admin.post("/config/versions", ReleaseDrills.JSON.createObjectNode()
                    .put("yaml", gw.fullConfig(tokenLine(tokenFile) + config(app.address(), "v2",
                            "{ steps: [50%, 100%], step_duration: 10m }"))).put("message", "v2").toString());
            assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
            check(report, gw, "second rollout while one runs", admin.post("/config/versions",
                    ReleaseDrills.JSON.createObjectNode().put("yaml", gw.fullConfig(tokenLine(tokenFile)
                            + config(app.address(), "v3", "{ steps: [100%] }"))).put("message", "v3")
                            .toString()), 409, "rolling out");
            String audit = admin.get("/audit").body();
            report.line("audit rows of refused calls: %d", audit.split("refused").length - 1);
            assertThat(audit).contains("config.apply.refused").contains("admin.refused");
        }
    }

    /**
     * {@code admin.token_file}, as a line that continues the {@code admin:} mapping {@link GatewayProcess} writes
     * before the drill's YAML.
     */
    private static String tokenLine(Path tokenFile) {
        return "  token_file: " + tokenFile + "\n";
    }

    /** The admin API with a bearer token, as {@code palisade config --token-file} calls it. */
    private record Admin(GatewayProcess gw, String token) {
        private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

        Admin withToken(String other) {
            return new Admin(gw, other);
        }

        HttpResponse<String> get(String path) throws Exception {
            return send("GET", path, null);
        }

        HttpResponse<String> post(String path, String body) throws Exception {
            return send("POST", path, body);
        }

        String versions() throws Exception {
            return get("/config/versions").body();
        }

        private HttpResponse<String> send(String method, String path, String body) throws Exception {
            java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(gw.admin(path))).timeout(Duration.ofSeconds(30)).method(method,
                    body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
                            : java.net.http.HttpRequest.BodyPublishers.ofString(body));
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** One GET on its own connection: the data side still answers. */
    private static final class LoopbackGet {
        static int status(int port, String path) throws java.io.IOException {
            try (io.palisade.testing.LoopbackHttp http = new io.palisade.testing.LoopbackHttp(port, null, 10_000)) {
                return http.get(path).status();
            }
        }
    }

    private static void check(Report report, GatewayProcess gw, String what, HttpResponse<String> r, int status,
                              String says) throws Exception {
        report.line("%s: %d %s", what, r.statusCode(), r.body().replaceAll("\\s+", " ").substring(0,
                Math.min(200, r.body().replaceAll("\\s+", " ").length())));
        assertThat(r.statusCode()).as(what + ": " + r.body()).isEqualTo(status);
        assertThat(r.body()).as(what).contains(says);
        assertThat(LoopbackGet.status(gw.port(), "/api/still-serving")).as("still serving after " + what)
                .isEqualTo(200);
    }
}
