package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The operator's side of the real process: SIGHUP reloads the file (a bad file changes nothing), the admin port
 * answers while every data-side connection is parked on a hung upstream (seed 002: monitoring must not go blind with
 * the data path), and SIGTERM lets an in-flight request finish before the process exits.
 *
 * <p>Nothing here is timed closely: every wait has a bound of a minute or more (the admin port's answers 10 s), so
 * that a hang fails the drill instead of stalling the build, and no scheduling noise reaches it.
 */
class GatewayLifecycleDrill {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(10);

    @Test
    void sighupReloads_adminAnswersUnderSaturation_sigtermDrains() throws Exception {
        Report report = new Report("lifecycle");
        try (TestUpstream a = TestUpstream.start("a"); TestUpstream b = TestUpstream.start("b");
             SilentServer hung = new SilentServer()) {
            int port = Ports.free();
            int adminPort = Ports.free();
            String v1 = config(a.address(), hung.address());
            try (GatewayProcess gw = GatewayProcess.start("lifecycle", v1, port, adminPort)) {
                Path file = Path.of(System.getProperty("palisade.drill.reports", "target/drills"), "lifecycle.yaml");
                String header = Files.readString(file).substring(0, Files.readString(file).indexOf(v1));
                assertThat(get(gw.url("/app")).headers().firstValue("x-upstream")).contains("a");

                // SIGHUP with a new upstream: new requests go to b.
                Files.writeString(file, header + config(b.address(), hung.address()));
                signal(gw.pid(), "HUP");
                long reloadStart = System.nanoTime();
                while (!get(gw.url("/app")).headers().firstValue("x-upstream").orElse("").equals("b")) {
                    assertThat(System.nanoTime() - reloadStart).as("reload within 30 s")
                            .isLessThan(Duration.ofSeconds(30).toNanos());
                    Thread.sleep(20); // polling the process for the new config
                }
                report.line("SIGHUP: new config serving after %.0f ms", (System.nanoTime() - reloadStart) / 1e6);

                // SIGHUP with a broken file: the live config keeps serving, the error is in the log.
                Files.writeString(file, header + config(a.address(), hung.address()).replace("request: 2s",
                        "request: 0s"));
                signal(gw.pid(), "HUP");
                long refusedAt = System.nanoTime();
                while (!gw.logText().contains("config reload refused")) {
                    assertThat(System.nanoTime() - refusedAt).isLessThan(Duration.ofSeconds(30).toNanos());
                    Thread.sleep(20); // polling the process log
                }
                assertThat(get(gw.url("/app")).headers().firstValue("x-upstream")).contains("b");
                assertThat(gw.logText()).contains("clusters.app.timeouts.request: 0s (expected: > 0)");
                report.line("SIGHUP with an invalid file: refused, previous config kept serving");

                // Saturate the data side: 300 connections parked on the hung route.
                List<CompletableFuture<HttpResponse<Void>>> parked = new ArrayList<>();
                HttpClient many = HttpClient.newBuilder().build();
                for (int i = 0; i < 300; i++) {
                    parked.add(many.sendAsync(HttpRequest.newBuilder(URI.create(gw.url("/hung/" + i)))
                            .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.discarding()));
                }
                long parkStart = System.nanoTime();
                while (hung.acceptedCount() < 250) {
                    assertThat(System.nanoTime() - parkStart).as("requests parked within 60 s")
                            .isLessThan(Duration.ofSeconds(60).toNanos());
                    Thread.sleep(20); // waiting for the requests to reach the hung upstream
                }
                long worst = 0;
                for (int i = 0; i < 50; i++) {
                    long t0 = System.nanoTime();
                    assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(gw.admin("/readyz")))
                            .timeout(ADMIN_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                            .isEqualTo(200);
                    assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(gw.admin("/metrics")))
                            .timeout(ADMIN_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                            .isEqualTo(200);
                    worst = Math.max(worst, System.nanoTime() - t0);
                }
                report.line("admin port with %d data requests parked on a hung upstream: 50 readyz+metrics pairs,"
                        + " slowest %.1f ms (each must answer within %d s); machine load average %s",
                        hung.acceptedCount(), worst / 1e6, ADMIN_TIMEOUT.toSeconds(), Report.loadAverage());

                many.shutdownNow(); // the parked clients go away; their exchanges end with the connections
                parked.forEach(f -> f.cancel(true));

                // SIGTERM while a request is in flight on a slow upstream: it completes, then the process exits.
                b.behave(new TestUpstream.Respond(200, "slow-done", 1500));
                CompletableFuture<HttpResponse<String>> inFlight = HTTP.sendAsync(HttpRequest.newBuilder(
                        URI.create(gw.url("/app/slow"))).timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofString());
                long sentAt = System.nanoTime();
                while (b.requestCount() == 0 || !b.received().get(b.requestCount() - 1).uri().equals("/app/slow")) {
                    assertThat(System.nanoTime() - sentAt).as("request at the upstream within 60 s")
                            .isLessThan(Duration.ofSeconds(60).toNanos());
                    Thread.sleep(10); // waiting for the request to reach the upstream
                }
                long termAt = System.nanoTime();
                int exit = gw.stop();
                HttpResponse<String> done = inFlight.join();
                report.line("SIGTERM with a request in flight: it completed with %d (%s), process exited %d after"
                        + " %.0f ms", done.statusCode(), done.body(), exit, (System.nanoTime() - termAt) / 1e6);
                assertThat(done.statusCode()).isEqualTo(200);
                assertThat(done.body()).isEqualTo("slow-done");
                assertThat(exit).as("a graceful drain exits 0; 143 reads as a crash to a supervisor").isZero();
                assertThat(gw.logText()).doesNotContain("LEAK");
            }
        }
    }

    private static String config(String app, String hung) {
        return """
                access_log: { enabled: false }
                server: { drain_timeout: 20s }
                clusters:
                  app:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 500ms, request: 2s, idle: 30s }
                  hung:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 500ms, request: 50s, idle: 60s }
                    limits: { max_connections: 5000, max_pending: 5000, max_requests: 5000 }
                    retries: { attempts: 0 }
                routes:
                  - match: { path_prefix: /app }
                    cluster: app
                  - match: { path_prefix: /hung }
                    cluster: hung
                """.formatted(app, hung);
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void signal(long pid, String name) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start().waitFor()).isZero();
    }
}
