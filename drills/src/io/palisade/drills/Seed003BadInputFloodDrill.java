package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.RawClient;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Seed 003: zero-sized API requests crashed the store-and-forward service in a restart loop (502s for 3.5 hours).
 * Here good requests run alongside a flood of zero-length, truncated and malformed ones. Every good request must
 * succeed, every bad one must get its 4xx (or, for a request cut off mid-way, nothing), and the process must never
 * restart. Nothing here is timed: the bad inputs are 6 senders x 110 by default (10 of each kind per sender), 6 x 500
 * in the long run ({@code -Dpalisade.drill.long=true}).
 */
class Seed003BadInputFloodDrill {
    /** A bad input and the status it must get; 0 means the client gives up mid-request and expects no answer. */
    private record Bad(String name, String raw, int expected) {}

    private static final List<Bad> BAD = List.of(
            new Bad("zero-length POST to a body route", "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
                    400),
            new Bad("POST without any length", "POST /ingest HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            new Bad("empty chunked body", "POST /ingest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\n", 400),
            new Bad("garbage request line", "\u0001\u0002GARBAGE\r\n\r\n", 400),
            new Bad("missing Host", "GET /api HTTP/1.1\r\n\r\n", 400),
            new Bad("TE and CL together", "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            new Bad("bad chunk size", "POST /ingest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "zz\r\nabc\r\n0\r\n\r\n", 400),
            new Bad("oversized body", "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n", 413),
            new Bad("truncated headers", "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Le", 0),
            new Bad("truncated body", "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-part", 0),
            new Bad("connect and close", "", 0));

    private static final int BAD_PER_SENDER = DrillLength.pick(10 * BAD.size(), 500);

    @Test
    void badInputFlood_neverCrashes_goodTrafficUnaffected() throws Exception {
        Report report = new Report("seed003-bad-input-flood");
        try (TestUpstream up = TestUpstream.start("store").behave(new TestUpstream.Echo())) {
            String yaml = """
                    access_log: { enabled: false }
                    server:
                      limits: { max_body: 1MiB, header_read_timeout: 2s }
                    clusters:
                      store: { endpoints: [ "%s" ] }
                    routes:
                      - match: { path_prefix: /ingest, methods: [POST] }
                        cluster: store
                        request: { max_body: 64KiB, require_body: true }
                      - match: { path_prefix: /api }
                        cluster: store
                    """.formatted(up.address());
            try (GatewayProcess gw = GatewayProcess.start("seed003", yaml, Ports.free(), Ports.free())) {
                long pid = gw.pid();
                Map<String, AtomicLong> wrong = new ConcurrentHashMap<>();
                AtomicLong badSent = new AtomicLong();
                ExecutorService flood = Executors.newFixedThreadPool(6);
                try (Load good = new Load(4, Duration.ofSeconds(120), n -> n % 2 == 0
                        ? Load.get(gw.url("/api/" + n), Duration.ofSeconds(10))
                        : HttpRequest.newBuilder(URI.create(gw.url("/ingest"))).timeout(Duration.ofSeconds(10))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"event\":" + n + "}")).build())) {
                    for (int t = 0; t < 6; t++) {
                        flood.execute(() -> {
                            for (int i = 0; i < BAD_PER_SENDER; i++) {
                                Bad bad = BAD.get(i % BAD.size());
                                badSent.incrementAndGet();
                                int got = send(gw.port(), bad);
                                if (got != bad.expected()) {
                                    wrong.computeIfAbsent(bad.name() + " -> " + got, k -> new AtomicLong())
                                            .incrementAndGet();
                                }
                            }
                        });
                    }
                    flood.shutdown();
                    assertThat(flood.awaitTermination(5, TimeUnit.MINUTES)).isTrue();
                    good.runUntil(good.sent() + 200);
                    List<Load.Sample> samples = good.samples();
                    report.line("%s run: good requests: %d, statuses %s, p99 %.2f ms, slowest %.2f ms; machine load"
                                    + " average %s", DrillLength.name(), samples.size(), Load.statusCounts(samples),
                            Load.percentileMs(samples, 0.99), Load.percentileMs(samples, 1.0), Report.loadAverage());
                    report.line("bad requests: %d across %d kinds, wrong answers: %s", badSent.get(), BAD.size(),
                            wrong.isEmpty() ? "none" : wrong);
                    String metrics = gw.metrics();
                    report.line("gateway process %d alive: %s (same pid throughout: %s)", pid, gw.alive(),
                            gw.pid() == pid);
                    assertThat(samples).isNotEmpty().allMatch(s -> s.status() == 200);
                    assertThat(wrong).isEmpty();
                    assertThat(fiveXx(metrics)).as("5xx answered by the gateway").isZero();
                    report.line("rejections counted by the gateway: %s", rejections(metrics));
                    assertThat(metrics).contains("palisade_rejections_total{reason=\"ambiguous_framing\"}")
                            .contains("palisade_rejections_total{reason=\"malformed_request\"}");
                }
                assertThat(gw.alive()).isTrue();
                assertThat(gw.pid()).isEqualTo(pid);
                assertThat(gw.stop()).isIn(0, 143);
                assertThat(gw.logText()).doesNotContain("LEAK").doesNotContain("Exception in thread");
            }
        }
    }

    /** The sum of every {@code palisade_requests_total} series with {@code code_class="5xx"}. */
    private static double fiveXx(String metrics) {
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("palisade_requests_total\\{[^}]*code_class=\"5xx\"[^}]*} ([0-9.eE+-]+)").matcher(metrics);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    private static String rejections(String metrics) {
        return metrics.lines().filter(l -> l.startsWith("palisade_rejections_total{"))
                .map(l -> l.substring(l.indexOf('"') + 1, l.lastIndexOf('"')) + "=" + l.substring(l.lastIndexOf(' ') + 1))
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /** Sends one bad input on its own connection; returns the status, or 0 when no response came. */
    private static int send(int port, Bad bad) {
        try (RawClient c = new RawClient(port)) {
            if (!bad.raw().isEmpty()) {
                c.send(bad.raw());
            }
            if (bad.expected() == 0) {
                return 0; // the client walks away mid-request
            }
            RawClient.Response r = c.read();
            return r == null ? -1 : r.status();
        } catch (IOException e) {
            return -2;
        }
    }
}
