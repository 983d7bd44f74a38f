package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.palisade.testing.RawClient;
import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The overload manager under real heap pressure: the gateway process with a 64 MiB heap, and client requests with
 * about 14 KiB of headers each parked on an upstream that never answers, each one holding its decoded head on the
 * heap, more of them until the heap after GC passes {@code heap_stop_keepalive} (responses then close their
 * connections) and {@code heap_shed} (new requests get 503 {@code overloaded} with {@code Retry-After}, the admin port
 * still answers). Then the parked clients leave and the gateway must come back to normal by itself.
 *
 * <p>The thresholds are 40 % and 75 % rather than the defaults (85 %, 95 %): an idle gateway holds about a quarter of
 * a 64 MiB heap, and the steps between readings (a batch of requests at a time) must not jump over a state and into
 * an OutOfMemoryError on a busy machine.
 */
class HeapOverloadDrill {
    private static final int BATCH = 50;
    private static final int MAX_PARKED = 4000;

    @Test
    void heapPressure_stopsKeepAlive_thenSheds_thenRecoversByItself() throws Exception {
        Report report = new Report("heap-overload");
        try (TestUpstream app = TestUpstream.start("app"); SilentServer hung = new SilentServer()) {
            int port = Ports.free();
            int adminPort = Ports.free();
            try (GatewayProcess gw = GatewayProcess.start("heap-overload", """
                    access_log: { enabled: false }
                    server:
                      limits: { max_connections_per_ip: 0 }
                      overload: { heap_stop_keepalive: 40%%, heap_shed: 75%% }
                    clusters:
                      app: { endpoints: [ "%s" ] }
                      hung:
                        endpoints: [ "%s" ]
                        timeouts: { request: 120s }
                        limits: { max_connections: 10000, max_pending: 10000, max_requests: 10000 }
                        retries: { attempts: 0 }
                    routes:
                      - { match: { path_prefix: /held }, cluster: hung }
                      - { match: { path_prefix: / }, cluster: app }
                    """.formatted(app.address(), hung.address()), port, adminPort,
                    List.of("-Xms32m", "-Xmx64m"))) {
                RawClient.Response normal = get(port, "/ok");
                assertThat(normal.status()).isEqualTo(200);
                assertThat(normal.header("connection")).as("keep-alive while the heap is fine").isNull();
                report.line("idle: heap after GC %.0f %%", 100 * value(gw.metrics(),
                        "palisade_overload_heap_used_after_gc_ratio"));

                StringBuilder pad = new StringBuilder();
                for (int i = 0; i < 14; i++) {
                    pad.append("X-Pad-").append(i).append(": ").append("a".repeat(1000)).append("\r\n");
                }
                byte[] parkedRequest = ("GET /held HTTP/1.1\r\nHost: api\r\n" + pad + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                List<Socket> parked = new ArrayList<>();
                int keepAliveStoppedAt = -1;
                RawClient.Response duringStop = null;
                try {
                    while (true) {
                        int state = stateOf(gw);
                        if (state >= 1 && keepAliveStoppedAt < 0) {
                            keepAliveStoppedAt = parked.size();
                            duringStop = get(port, "/ok");
                        }
                        if (state == 2) {
                            break;
                        }
                        assertThat(parked.size()).as("the heap reached heap_shed within %d parked requests",
                                MAX_PARKED).isLessThan(MAX_PARKED);
                        for (int i = 0; i < BATCH; i++) {
                            Socket s = new Socket("127.0.0.1", port);
                            OutputStream out = s.getOutputStream();
                            out.write(parkedRequest);
                            out.flush();
                            parked.add(s);
                        }
                        // Paced by the gateway: the next batch waits until this one is parked at the upstream (one
                        // connection each), so the state read next reflects these requests, not a backlog.
                        int expected = parked.size();
                        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                                .until(() -> hung.acceptedCount() >= expected || stateOf(gw) == 2);
                    }
                    String metrics = gw.metrics();
                    report.line("keep-alive stopped at %s parked requests (a response then: %s, Connection: %s);"
                                    + " shedding at %d parked requests, heap after GC %.0f %%",
                            keepAliveStoppedAt < 0 ? "(skipped in one step)" : keepAliveStoppedAt,
                            duringStop == null ? "-" : duringStop.status() + " " + duringStop.body().trim(),
                            duringStop == null ? "-" : duringStop.header("connection"), parked.size(),
                            100 * value(metrics, "palisade_overload_heap_used_after_gc_ratio"));
                    assertThat(keepAliveStoppedAt).as("keep-alive stopped before shedding began")
                            .isBetween(0, parked.size() - 1);
                    assertThat(duringStop.header("connection")).isEqualTo("close");
                    if (duringStop.status() != 200) {
                        assertThat(duringStop.body()).as("shedding began meanwhile").contains("overloaded");
                    }
                    RawClient.Response shed = get(port, "/ok");
                    assertThat(shed.status()).isEqualTo(503);
                    assertThat(shed.body()).contains("\"error\":\"overloaded\"");
                    assertThat(shed.header("retry-after")).isNotNull();
                    assertThat(shed.header("connection")).isEqualTo("close");
                    assertThat(gw.metrics()).as("the admin port is never shed").contains("palisade_overload_state 2.0");
                } finally {
                    for (Socket s : parked) {
                        s.close();
                    }
                }

                long released = System.nanoTime();
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                        .until(() -> stateOf(gw) == 0);
                double recoverySeconds = (System.nanoTime() - released) / 1e9;
                RawClient.Response after = get(port, "/ok");
                String metrics = gw.metrics();
                report.line("parked clients gone: normal again after %.1f s, heap after GC %.0f %%; %s; then %d"
                                + " with Connection: %s", recoverySeconds,
                        100 * value(metrics, "palisade_overload_heap_used_after_gc_ratio"),
                        line(metrics, "palisade_overload_shed_total"), after.status(), after.header("connection"));
                assertThat(after.status()).isEqualTo(200);
                assertThat(after.header("connection")).isNull();
                assertThat(value(metrics, "palisade_overload_shed_total")).isPositive();
                assertThat(gw.alive()).isTrue();
                assertThat(gw.logText()).doesNotContain("OutOfMemoryError").doesNotContain("LEAK");
            }
        }
    }

    private static int stateOf(GatewayProcess gw) throws IOException, InterruptedException {
        return (int) value(gw.metrics(), "palisade_overload_state");
    }

    /** One request on a new connection. */
    private static RawClient.Response get(int port, String path) throws IOException {
        try (RawClient c = new RawClient(port)) {
            c.timeout(30_000);
            c.send("GET " + path + " HTTP/1.1\r\nHost: api\r\n\r\n");
            return c.read();
        }
    }

    private static String line(String scrape, String name) {
        return scrape.lines().filter(l -> l.startsWith(name + " ")).findFirst().orElse(name + " absent");
    }

    private static double value(String scrape, String name) {
        String l = line(scrape, name);
        return Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
    }
}
