package io.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code palisade run} as a supervisor sees it: the real process ({@link Main} on this test's class path), its exit
 * code and what it prints. A supervisor restarts or alerts on a non-zero exit, so a graceful stop must be 0.
 */
class RunProcessTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern SERVING = Pattern.compile("on \\{http=(\\d+)} \\(admin (\\d+),");

    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Process process;

    @AfterEach
    void tearDown() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor();
        }
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private record Gateway(int port, int adminPort) {
        String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }
    }

    private Process start(String yaml) throws IOException {
        Path config = dir.resolve("palisade.yaml");
        Files.writeString(config, yaml);
        Path log = dir.resolve("out.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run",
                "--config", config.toString(), "--state", dir.resolve("state").toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return process;
    }

    private String output() throws IOException {
        return Files.readString(dir.resolve("out.log"));
    }

    /** Waits for the start-up line, which names the ports the gateway bound (the config asks for free ones). */
    private Gateway awaitServing() {
        Matcher[] m = new Matcher[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            assertThat(process.isAlive()).as("the gateway exited:\n%s", output()).isTrue();
            m[0] = SERVING.matcher(output());
            return m[0].find();
        });
        return new Gateway(Integer.parseInt(m[0].group(1)), Integer.parseInt(m[0].group(2)));
    }

    private static String config(String upstream, String drainTimeout) {
        return """
                listeners: { http: { address: 127.0.0.1:0 } }
                admin: { address: 127.0.0.1:0 }
                access_log: { enabled: false }
                server: { drain_timeout: %s }
                clusters:
                  app:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 1s, request: 30s, idle: 30s }
                    retries: { attempts: 0 }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(drainTimeout, upstream);
    }

    private static CompletableFuture<HttpResponse<String>> getAsync(String url) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private int exitCode() throws InterruptedException {
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the gateway exits after SIGTERM").isTrue();
        return process.exitValue();
    }

    @Test
    void sigterm_withARequestInFlight_letsItFinish_andExitsZero() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        TestUpstream up = TestUpstream.start("a").behave(new TestUpstream.Held(release));
        resources.add(up);
        start(config(up.address(), "20s"));
        Gateway gw = awaitServing();
        CompletableFuture<HttpResponse<String>> inFlight = getAsync(gw.url("/slow"));
        await().atMost(Duration.ofSeconds(30)).until(() -> up.requestCount() == 1);

        process.destroy(); // SIGTERM
        await().atMost(Duration.ofSeconds(30)).until(() -> output().contains("draining in-flight requests"));
        release.complete(null);

        assertThat(inFlight.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(exitCode()).as(output()).isZero();
        assertThat(output()).contains("palisade stopped").doesNotContain("drain timeout");
    }

    @Test
    void sigint_withNothingInFlight_exitsZero() throws Exception {
        TestUpstream up = TestUpstream.start("a");
        resources.add(up);
        start(config(up.address(), "20s"));
        awaitServing();

        assertThat(new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor()).isZero();

        assertThat(exitCode()).as(output()).isZero();
        assertThat(output()).contains("palisade stopped");
    }

    @Test
    void sigterm_whenTheDrainTimesOutWithARequestInFlight_cutsIt_andExits3() throws Exception {
        SilentServer hung = new SilentServer();
        resources.add(hung);
        start(config("127.0.0.1:" + hung.port(), "1s"));
        Gateway gw = awaitServing();
        CompletableFuture<HttpResponse<String>> inFlight = getAsync(gw.url("/hung"));
        await().atMost(Duration.ofSeconds(30)).until(() -> hung.acceptedCount() == 1);

        process.destroy();

        assertThat(exitCode()).as(output()).isEqualTo(RunCommand.EXIT_DRAIN_CUT);
        assertThat(output()).contains("drain timeout: closing with 1 requests in flight")
                .contains("exiting with 3");
        assertThat(inFlight).failsWithin(Duration.ofSeconds(30));
    }

    @Test
    void aBusyAdminPort_orListenerPort_isNamed_notStarted_exits1_withoutAStackTrace() throws Exception {
        TestUpstream up = TestUpstream.start("a");
        resources.add(up);
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Path config = dir.resolve("palisade.yaml");

            start(config(up.address(), "20s").replace("admin: { address: 127.0.0.1:0 }",
                    "admin: { address: 127.0.0.1:" + port + " }"));
            assertThat(exitCode()).as(output()).isEqualTo(RunCommand.EXIT_NOT_STARTED);
            assertThat(output()).contains("admin 127.0.0.1:" + port + ": Address already in use\n"
                    + config + ": not started").doesNotContain("Exception").doesNotContain("\tat ");

            start(config(up.address(), "20s").replace("listeners: { http: { address: 127.0.0.1:0 } }",
                    "listeners: { http: { address: 127.0.0.1:" + port + " } }"));
            assertThat(exitCode()).as(output()).isEqualTo(RunCommand.EXIT_NOT_STARTED);
            assertThat(output()).contains("listener http 127.0.0.1:" + port + ": Address already in use\n"
                    + config + ": not started").doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}
