package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.codec.http2.Http2Error;
import io.palisade.testing.RawClient;
import io.palisade.testing.RawH2;
import io.palisade.testing.TestUpstream;
import io.palisade.tls.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each known HTTP/2 attack (and a TLS client that sends its handshake one byte a second) does to the other
 * clients: for every attack, bystanders (HTTP/1.1 and HTTP/2 connections of their own, to the same gateway) measure
 * their latency just before it, then while it runs, the attacker reconnecting whenever the gateway ends its
 * connection. Each pair of p99s is printed as a figure ({@code FIGURE http2-attack ...}); the assertions are only that
 * every bystander request succeeded, that the attacker was stopped (GOAWAY or close, counted), and that the p99 during
 * the attack stayed within a margin no scheduling noise crosses: 50 times the baseline, and never less than 5 s.
 *
 * <p>{@code -Dpalisade.drill.long=true} (bin/test-long's {@code h2-attacks} section) runs 20 times the requests per
 * phase and keeps each attack going for at least 10 s. The figures also go to
 * {@code target/http2-attack-figures.txt}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Http2AttackFiguresTest {
    private static final int BYSTANDER_THREADS = 4;
    private static final boolean LONG = Boolean.getBoolean("palisade.drill.long");
    private static final int REQUESTS_PER_PHASE = LONG ? 2000 : 100;
    /** How long an attack runs at least while the bystanders measure. */
    private static final Duration MIN_WINDOW = LONG ? Duration.ofSeconds(10) : Duration.ofMillis(500);
    /** The slow TLS clients' window: longer than the handshake deadline (2 s), so that it closes some of them. */
    private static final Duration TLS_WINDOW = LONG ? Duration.ofSeconds(10) : Duration.ofSeconds(3);
    private static final long P99_FLOOR_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final int P99_FACTOR = 50;

    private Gateway gateway;
    private TestUpstream upstream;
    private Http2AttackTest.BigUpstream big;
    private final List<String> figures = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        upstream = TestUpstream.start("app");
        big = new Http2AttackTest.BigUpstream(8 << 20);
        TestPki.Issued ca = TestPki.ca("Palisade Test CA");
        TestPki.write(dir, "api", TestPki.server(ca, "localhost", TestPki.ec(), "localhost"), TestPki.KeyForm.PKCS8);
        Path config = dir.resolve("palisade.yaml");
        Files.writeString(config, """
                server:
                  worker_threads: 2
                  limits: { header_read_timeout: 2s }
                listeners:
                  http: { address: 127.0.0.1:0, http2: { max_concurrent_streams: 10, max_header_list_size: 8KiB } }
                  https:
                    address: 127.0.0.1:0
                    tls:
                      certificates: [ { cert_file: %1$s/api.pem, key_file: %1$s/api.key } ]
                      alpn: [h2, http/1.1]
                admin: { address: 127.0.0.1:0 }
                access_log: { enabled: false }
                clusters:
                  app: { endpoints: [ "%2$s" ] }
                  big: { endpoints: [ "127.0.0.1:%3$d" ], timeouts: { request: 30s, idle: 30s } }
                routes:
                  - { match: { path_prefix: /big }, cluster: big }
                  - { match: { path_prefix: /api }, cluster: app }
                """.formatted(dir, upstream.address(), big.port()));
        gateway = Gateway.start(config, dir.resolve("state"));
    }

    @AfterAll
    void stop() throws IOException {
        String header = "FIGURES http2-attack (" + BYSTANDER_THREADS + " bystander connections, at least "
                + REQUESTS_PER_PHASE + " requests and " + MIN_WINDOW.toMillis() + " ms per phase, 2 event loops,"
                + " loopback; p99 of the bystanders just before each attack, then during it):";
        System.out.println(header);
        figures.forEach(f -> System.out.println("  " + f));
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target", "http2-attack-figures.txt"),
                java.util.stream.Stream.concat(java.util.stream.Stream.of(header), figures.stream()).toList());
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (big != null) {
            big.close();
        }
    }

    private int port() {
        return gateway.port("http");
    }

    /** One attacker connection: what it sends until the gateway refuses it; true when the gateway stopped it. */
    @FunctionalInterface
    interface Attack {
        boolean run(int port) throws IOException;
    }

    @Test
    void rapidReset() throws Exception {
        measure("rapid reset (CVE-2023-44487)", p -> flood(p, h2 -> {
            int s = h2.newStreamId();
            h2.headers(s, RawH2.get("/api/reset"), true);
            h2.rst(s, (int) Http2Error.CANCEL.code());
        }, 1000));
    }

    @Test
    void continuationFlood() throws Exception {
        measure("CONTINUATION flood (CVE-2024-27316)", p -> {
            try (RawH2 h2 = new RawH2(p)) {
                int s = h2.newStreamId();
                h2.frame(RawH2.HEADERS, RawH2.END_STREAM, s, h2.encode(s, RawH2.get("/api/cont")));
                return repeatUntilRefused(h2, () -> h2.frame(RawH2.CONTINUATION, 0, s, new byte[0]), 100_000);
            }
        });
    }

    @Test
    void hpackBomb() throws Exception {
        byte[] bomb = bombBlock();
        measure("HPACK bomb (32 MB decoded from 12 KB)", p -> {
            try (RawH2 h2 = new RawH2(p)) {
                int s = h2.newStreamId();
                h2.frame(RawH2.HEADERS, RawH2.END_STREAM | RawH2.END_HEADERS, s, bomb);
                RawH2.Frame f;
                while ((f = h2.read()) != null) {
                    if (f.type() == RawH2.GOAWAY || f.type() == RawH2.RST_STREAM
                            || (f.type() == RawH2.HEADERS && f.stream() == s)) {
                        return true;
                    }
                }
                return true; // closed
            }
        });
    }

    @Test
    void settingsFlood() throws Exception {
        measure("SETTINGS flood", p -> flood(p, h2 -> h2.settings(4, 65535), 5000));
    }

    @Test
    void pingFlood() throws Exception {
        measure("PING flood", p -> flood(p, RawH2::ping, 5000));
    }

    @Test
    void emptyDataFlood() throws Exception {
        measure("empty DATA frames", p -> {
            try (RawH2 h2 = new RawH2(p)) {
                int s = h2.newStreamId();
                h2.headers(s, RawH2.request("POST", "/api/empty"), false);
                return repeatUntilRefused(h2, () -> h2.data(s, new byte[0], false), 10_000);
            }
        });
    }

    @Test
    void streamIdExhaustion() throws Exception {
        measure("stream-id exhaustion", p -> {
            try (RawH2 h2 = new RawH2(p)) {
                h2.headers(Integer.MAX_VALUE, RawH2.get("/api/last"), true);
                h2.answer(Integer.MAX_VALUE);
                h2.headers(1, RawH2.get("/api/again"), true);
                return h2.awaitGoAway() != null || h2.closedByServer();
            }
        });
    }

    @Test
    void windowUpdateOverflow() throws Exception {
        measure("WINDOW_UPDATE overflow", p -> {
            try (RawH2 h2 = new RawH2(p)) {
                h2.windowUpdate(0, Integer.MAX_VALUE);
                return h2.awaitGoAway() != null || h2.closedByServer();
            }
        });
    }

    /** Ten connections at a time that open their windows at zero and never read an 8 MiB response. */
    @Test
    void zeroWindowStall() throws Exception {
        measureHeld("zero-window stall (10 connections x 8 MiB responses)", stop -> {
            List<RawH2> held = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    RawH2 h2 = new RawH2(port(), false);
                    held.add(h2);
                    h2.raw(RawH2.prefaceBytes());
                    h2.settings(4, 0);
                    int s = h2.newStreamId();
                    h2.headers(s, RawH2.get("/big/file"), true);
                }
                while (!stop.get()) {
                    Thread.sleep(50);
                }
            } finally {
                for (RawH2 h2 : held) {
                    h2.close();
                }
            }
            return held.size();
        });
    }

    /**
     * Twenty TLS clients at a time that send a ClientHello one byte a second: each is closed at the handshake deadline
     * ({@code header_read_timeout}, 2 s here), and a new one takes its place.
     */
    @Test
    void tlsClientSendingOneBytePerSecond() throws Exception {
        AtomicInteger closedAtDeadline = new AtomicInteger();
        measureHeld("TLS client sending 1 byte/s (20 at a time)", stop -> {
            ExecutorService slow = Executors.newVirtualThreadPerTaskExecutor();
            try {
                for (int i = 0; i < 20; i++) {
                    slow.submit(() -> {
                        while (!stop.get()) {
                            if (trickleClientHello(gateway.port("https"), stop)) {
                                closedAtDeadline.incrementAndGet();
                            }
                        }
                        return null;
                    });
                }
                // Long enough for the deadline to close the first ones while the bystanders measure.
                await().atMost(Duration.ofSeconds(60)).until(() -> closedAtDeadline.get() > 0 || stop.get());
                while (!stop.get()) {
                    Thread.sleep(50);
                }
            } finally {
                slow.shutdownNow();
                slow.awaitTermination(30, TimeUnit.SECONDS);
            }
            return closedAtDeadline.get();
        });
        assertThat(closedAtDeadline.get()).as("slow handshakes closed at the deadline").isPositive();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(metrics())
                .containsPattern("palisade_tls_handshake_failures_total\\{listener=\"https\",reason=\"timeout\"}"
                        + " [1-9]"));
    }

    /** Sends a ClientHello's first bytes one a second; true when the gateway closed the connection. */
    private static boolean trickleClientHello(int port, AtomicBoolean stop) {
        byte[] hello = {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4, 0x03, 0x03};
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; !stop.get(); i++) {
                out.write(hello[i % hello.length]);
                out.flush();
                try {
                    if (in.read() < 0) {
                        return true;
                    }
                    return true; // an alert: refused all the same
                } catch (java.net.SocketTimeoutException stillOpen) {
                    // a second passed: the next byte
                }
            }
            return false;
        } catch (IOException closed) {
            return true;
        }
    }

    // ---- the measurement

    private void measure(String name, Attack attack) throws Exception {
        AtomicInteger stopped = new AtomicInteger();
        AtomicInteger connections = new AtomicInteger();
        measureHeld(name, stop -> {
            while (!stop.get()) {
                connections.incrementAndGet();
                try {
                    if (attack.run(port())) {
                        stopped.incrementAndGet();
                    }
                } catch (IOException closedUnderUs) {
                    stopped.incrementAndGet();
                }
            }
            return stopped.get();
        });
        assertThat(stopped.get()).as(name + ": attacker connections the gateway stopped").isPositive();
    }

    @FunctionalInterface
    interface Held {
        /** Attacks until {@code stop}; returns how many attacker connections the gateway stopped. */
        int run(AtomicBoolean stop) throws Exception;
    }

    private void measureHeld(String name, Held attacker) throws Exception {
        Phase baseline = bystanders(Duration.ZERO);
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService attackThread = Executors.newSingleThreadExecutor();
        Future<Integer> stoppedCount = attackThread.submit(() -> attacker.run(stop));
        Phase during;
        try {
            Thread.sleep(100); // the attack is under way before the bystanders start counting
            during = bystanders(name.startsWith("TLS") ? TLS_WINDOW : MIN_WINDOW);
        } finally {
            stop.set(true);
        }
        int stopped = stoppedCount.get(120, TimeUnit.SECONDS);
        attackThread.shutdown();
        String figure = String.format(Locale.ROOT,
                "%-45s bystander p99 %7.2f ms before, %7.2f ms during (x%.1f); p50 %.2f -> %.2f ms; %d/%d ok;"
                        + " attacker connections stopped (held, for stalls): %d",
                name, baseline.p99() / 1e6, during.p99() / 1e6, (double) during.p99() / Math.max(1, baseline.p99()),
                baseline.p50() / 1e6, during.p50() / 1e6, during.ok, during.total, stopped);
        figures.add(figure);
        System.out.println("FIGURE http2-attack " + figure);
        assertThat(baseline.ok).as(name + ": baseline requests that succeeded").isEqualTo(baseline.total);
        assertThat(during.ok).as(name + ": bystander requests that succeeded during the attack")
                .isEqualTo(during.total);
        assertThat(during.p99()).as(name + ": bystander p99 during the attack (ns), against max(50 x baseline, 5 s)")
                .isLessThanOrEqualTo(Math.max(P99_FACTOR * baseline.p99(), P99_FLOOR_NANOS));
    }

    private record Phase(long[] sorted, int ok, int total) {
        long p99() {
            return sorted[Math.max(0, (int) Math.ceil(sorted.length * 0.99) - 1)];
        }

        long p50() {
            return sorted[Math.max(0, (int) Math.ceil(sorted.length * 0.50) - 1)];
        }
    }

    /**
     * Bystanders: half on HTTP/1.1 keep-alive, half on HTTP/2, each on its own connection, one request after the
     * other, until {@link #REQUESTS_PER_PHASE} are done and at least {@code window} has passed.
     */
    private Phase bystanders(Duration window) throws Exception {
        long until = System.nanoTime() + window.toNanos();
        AtomicInteger issued = new AtomicInteger();
        AtomicInteger ok = new AtomicInteger();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(BYSTANDER_THREADS);
        List<Future<?>> runs = new ArrayList<>();
        for (int t = 0; t < BYSTANDER_THREADS; t++) {
            boolean h2 = t % 2 == 1;
            runs.add(pool.submit(() -> {
                try (RawClient h1c = h2 ? null : new RawClient(port()); RawH2 h2c = h2 ? new RawH2(port()) : null) {
                    if (h1c != null) {
                        h1c.timeout(30_000);
                    } else {
                        h2c.socket().setSoTimeout(30_000);
                    }
                    while (issued.getAndIncrement() < REQUESTS_PER_PHASE || System.nanoTime() - until < 0) {
                        long start = System.nanoTime();
                        int status;
                        if (h1c != null) {
                            h1c.send("GET /api/bystander HTTP/1.1\r\nHost: a\r\n\r\n");
                            RawClient.Response r = h1c.read();
                            status = r == null ? 0 : r.status();
                        } else {
                            int s = h2c.newStreamId();
                            h2c.headers(s, RawH2.get("/api/bystander"), true);
                            status = h2c.answer(s).status();
                        }
                        latencies.add(System.nanoTime() - start);
                        if (status == 200) {
                            ok.incrementAndGet();
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : runs) {
            f.get(300, TimeUnit.SECONDS);
        }
        pool.shutdown();
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Phase(sorted, ok.get(), sorted.length);
    }

    // ---- attack helpers

    @FunctionalInterface
    interface FrameWriter {
        void write(RawH2 h2) throws IOException;
    }

    @FunctionalInterface
    interface Step {
        void run() throws IOException;
    }

    private static boolean flood(int port, FrameWriter frame, int count) throws IOException {
        try (RawH2 h2 = new RawH2(port)) {
            return repeatUntilRefused(h2, () -> frame.write(h2), count);
        }
    }

    /** Repeats {@code step} up to {@code count} times or until a write fails; then true if GOAWAY or a close came. */
    private static boolean repeatUntilRefused(RawH2 h2, Step step, int count) throws IOException {
        try {
            for (int i = 0; i < count; i++) {
                step.run();
            }
        } catch (IOException closedUnderUs) {
            return true;
        }
        h2.socket().setSoTimeout(30_000);
        return h2.awaitGoAway() != null || h2.closedByServer();
    }

    private static byte[] bombBlock() {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x82); // :method GET
        block.write(0x86); // :scheme http
        block.writeBytes(Http2AttackTest.literalIndexedName(4, "/api/bomb")); // :path
        block.writeBytes(Http2AttackTest.literalIndexedName(1, "gw.test")); // :authority
        block.writeBytes(Http2AttackTest.incrementalIndexing("x-bomb", "b".repeat(4000)));
        for (int i = 0; i < 8000; i++) {
            block.write(0x80 | 62); // the newest dynamic table entry: x-bomb
        }
        return block.toByteArray();
    }

    private String metrics() throws Exception {
        java.net.http.HttpClient c = java.net.http.HttpClient.newHttpClient();
        return c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                + gateway.adminPort() + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
    }
}
