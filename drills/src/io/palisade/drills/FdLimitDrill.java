package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.palisade.testing.RawClient;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The gateway at its open file limit: the real process started under {@code prlimit --nofile=N:N} with N a few dozen
 * descriptors above what it holds once started, then more connections than that. Accepting fails with {@code EMFILE};
 * the gateway must stop accepting for a moment instead of spinning, write a line or two instead of one per failure,
 * keep serving the connection it already has, and accept again by itself once connections close.
 *
 * <p>The limit is set at start, not lowered under the running process ({@code prlimit --pid}): io_uring's accepts do
 * not see a limit lowered after the ring was set up, and the drill must hold on every transport.
 */
class FdLimitDrill {
    /** Above the ~100 descriptors the gateway holds once started (jars, event loops' rings, sockets, its store). */
    private static final int LIMIT = 160;
    private static final int FLOOD = 200;

    @Test
    void atTheFileLimit_acceptPausesWithOneLogLine_servesOpenConnections_andRecovers() throws Exception {
        Report report = new Report("fd-limit");
        try (TestUpstream app = TestUpstream.start("app")) {
            int port = Ports.free();
            int adminPort = Ports.free();
            try (GatewayProcess gw = GatewayProcess.start("fd-limit", """
                    access_log: { enabled: false }
                    clusters:
                      app: { endpoints: [ "%s" ] }
                    routes:
                      - { match: { path_prefix: / }, cluster: app }
                    """.formatted(app.address()), port, adminPort, List.of(),
                    List.of("prlimit", "--nofile=" + LIMIT + ":" + LIMIT))) {
                // The connection that must keep being served, its upstream connection pooled by a first request.
                RawClient kept = new RawClient(port);
                kept.timeout(30_000);
                assertThat(get(kept, "/warm").status()).isEqualTo(200);

                int open = openFiles(gw.pid());
                assertThat(open).as("files the gateway holds, under its limit of %d", LIMIT).isLessThan(LIMIT - 10);
                report.line("gateway holds %d files under an open file limit of %d; opening %d connections", open,
                        LIMIT, FLOOD);

                List<Socket> flood = new ArrayList<>();
                try {
                    for (int i = 0; i < FLOOD; i++) {
                        // The kernel completes these handshakes into the backlog whether or not they are accepted.
                        flood.add(new Socket("127.0.0.1", port));
                    }
                    await().atMost(Duration.ofSeconds(60))
                            .until(() -> gw.logText().contains("accepting a connection failed"));
                    // A few pause cycles (100 ms doubling to 1 s) pass while the limit holds.
                    long since = System.nanoTime();
                    Thread.sleep(4000); // holding the limit through a few pauses, not waiting for an event
                    assertThat(get(kept, "/while-full").status()).as("the open connection is served at the limit")
                            .isEqualTo(200);
                    assertThat(gw.alive()).isTrue();
                    report.line("at the limit for %.1f s: the open connection still served", (System.nanoTime()
                            - since) / 1e9);
                } finally {
                    for (Socket s : flood) {
                        s.close();
                    }
                }

                // The backlog drains (closed clients, accepted and closed at once), then new clients are served.
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    try (RawClient fresh = new RawClient(port)) {
                        fresh.timeout(5_000);
                        RawClient.Response r = get(fresh, "/after");
                        return r != null && r.status() == 200;
                    } catch (IOException e) {
                        return false;
                    }
                });
                String metrics = gw.metrics();
                String log = gw.logText();
                long lines = log.lines().filter(l -> l.contains("accepting a connection failed")).count();
                long traces = log.lines().filter(l -> l.contains("Too many open files")).count();
                report.line("after the flood closed: new connections served; accept log lines %d, lines naming"
                        + " EMFILE %d; %s; %s", lines, traces, metric(metrics, "palisade_listener_accept_failures_total"),
                        metric(metrics, "palisade_listener_accept_pauses_total"));
                assertThat(lines).as("rate-limited: one line per 10 s").isBetween(1L, 10L);
                double failures = value(metrics, "palisade_listener_accept_failures_total");
                double pauses = value(metrics, "palisade_listener_accept_pauses_total");
                assertThat(pauses).as("accepting paused").isPositive();
                assertThat(failures).as("a failed accept or two per pause, no spinning on the failure")
                        .isLessThanOrEqualTo(2 * pauses);
                assertThat(traces).as("no line per failure: %s", log).isLessThanOrEqualTo(lines);
                assertThat(log).doesNotContain("exceptionCaught() event was fired").doesNotContain("LEAK");
                assertThat(gw.alive()).isTrue();
                kept.close();
            }
        }
    }

    private static RawClient.Response get(RawClient c, String path) throws IOException {
        c.send("GET " + path + " HTTP/1.1\r\nHost: api\r\n\r\n");
        return c.read();
    }

    private static int openFiles(long pid) throws IOException {
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) fds.count();
        }
    }

    private static double value(String scrape, String name) {
        String line = metric(scrape, name);
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    private static String metric(String scrape, String name) {
        return scrape.lines().filter(l -> l.startsWith(name)).findFirst().orElse(name + " absent");
    }
}
