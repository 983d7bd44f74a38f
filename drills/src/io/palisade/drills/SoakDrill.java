package io.palisade.drills;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import io.palisade.testing.RawClient;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The soak: the real gateway process under mixed good and bad traffic for a long while, with an upstream's faults
 * injected and lifted in phases and a config reload now and then, watched from outside the way an operator would
 * (RSS, heap after a full GC, open file descriptors, threads), to show that nothing accumulates.
 *
 * <p>Routes: a plain one, one behind an API key, a rate-limited one, a durable ingest route, and one to a WireMock
 * server whose faults change every phase (none, connection reset, empty response, garbage, a malformed chunk, a delay
 * beyond the route's deadline, a body dribbled past it). A bounded set of client threads sends a seeded random mix:
 * good requests (which must all succeed), bad inputs (bad and missing API keys, malformed request lines, oversized and
 * empty bodies: each must get its 4xx), and requests to the faulty route (200 when its faults are lifted, else 502,
 * 503, 504 or a cut).
 *
 * <p>Length: {@code -Dpalisade.soak.minutes=N} ({@code bin/test-long --only soak}: 20 minutes, {@code SOAK_MINUTES}
 * to change it), sampled every 30 s. Without it ({@code -Dit.test=SoakDrill} alone; {@code bin/test} leaves the soak out) a 75 s smoke, sampled every 5 s, that shows
 * the runner and its checks work; it is too short to show a slow leak, which is what the long run is for.
 *
 * <p>The flatness criterion compares the last third of the samples with the middle third (the first third is the
 * warm-up: JIT, pools and the rate limiter's tables filling): open fds and threads within +10 of the middle third's
 * median, heap after GC within 1.5x, RSS grown by no more than 10 % per 10 minutes (at least 32 MiB allowed, what
 * the allocator's arenas and the code cache may still take). The heap is fixed and pre-touched, so RSS moves only with
 * native memory (direct buffers, thread stacks, metaspace). Medians, so one sample taken during a burst cannot cross
 * a bound; a leak of one file descriptor per faulty request, or of 1 KiB per request, crosses them within minutes.
 */
class SoakDrill {
    private static final String MINUTES_PROPERTY = "palisade.soak.minutes";
    private static final Duration LENGTH;
    private static final Duration SAMPLE_EVERY;
    private static final Duration PHASE;
    private static final Duration RELOAD_EVERY;

    static {
        String minutes = System.getProperty(MINUTES_PROPERTY, "");
        if (minutes.isBlank()) {
            LENGTH = Duration.ofSeconds(75);
            SAMPLE_EVERY = Duration.ofSeconds(5);
            PHASE = Duration.ofSeconds(6);
            RELOAD_EVERY = Duration.ofSeconds(30);
        } else {
            LENGTH = Duration.ofSeconds(Math.round(Double.parseDouble(minutes) * 60));
            SAMPLE_EVERY = Duration.ofSeconds(30);
            PHASE = Duration.ofSeconds(20);
            RELOAD_EVERY = Duration.ofMinutes(2);
        }
    }

    private static final int CLIENTS = 4;
    /** Between one client's requests: keeps the offered load near what a shared 2-core machine serves calmly. */
    private static final long PAUSE_MILLIS = 4;
    private static final String API_KEY = "pk_soak_0123456789abcdefghijklmnopqrstuvwxyz";
    private static final java.util.UUID STUB = java.util.UUID.fromString("5eed0000-0000-4000-8000-000000000014");

    /** A phase of the faulty upstream: its stub, or none for a healthy one. */
    private record Phase(String name, ResponseDefinitionBuilder stub) {}

    private static List<Phase> phases() {
        ResponseDefinitionBuilder ok = aResponse().withStatus(200).withBody("{\"ok\":true}");
        String body = "x".repeat(4096);
        return List.of(
                new Phase("healthy", ok),
                new Phase("reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)),
                new Phase("healthy", ok),
                new Phase("empty", aResponse().withFault(Fault.EMPTY_RESPONSE)),
                new Phase("healthy", ok),
                new Phase("garbage", aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE)),
                new Phase("healthy", ok),
                new Phase("malformed-chunk", aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK)),
                new Phase("healthy", ok),
                new Phase("delay", aResponse().withStatus(200).withBody(body).withFixedDelay(6000)),
                new Phase("healthy", ok),
                new Phase("dribble", aResponse().withStatus(200).withBody(body).withChunkedDribbleDelay(8, 6000)));
    }

    /** What one kind of request got: status counts (0 = cut, no response), and how many were not as expected. */
    private static final class Tally {
        final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        final LongAdder unexpected = new LongAdder();

        void add(int status, boolean expected) {
            statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
            if (!expected) {
                unexpected.increment();
            }
        }

        @Override
        public String toString() {
            return snapshot() + ", not as expected: " + unexpected.sum();
        }

        Map<Integer, Long> snapshot() {
            Map<Integer, Long> m = new TreeMap<>();
            statuses.forEach((k, v) -> m.put(k, v.sum()));
            return m;
        }
    }

    /** One row of the curves. */
    record Sample(long seconds, long rssKib, long heapAfterGcKib, int fds, int threads, double reqPerSecond,
                  long errors, long unexpected, String phase) {}

    /**
     * Deadlines far beyond any answer's: the machine is shared, and a neighbour's benchmark can stall a loopback
     * connect for seconds. A hang still shows, as a cut, once they pass.
     */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30)).build();
    private final Map<String, Tally> tallies = new ConcurrentHashMap<>();
    private final LongAdder done = new LongAdder();
    /** Answers of 5xx and cuts: expected of the faulty route during a fault phase, unexpected elsewhere. */
    private final LongAdder errors = new LongAdder();
    private volatile String phase = "healthy";
    /** Counts phase changes: a request that saw two values met a change on its way. */
    private final AtomicLong generation = new AtomicLong();

    @Test
    void soak_mixedTrafficWithFaults_leavesFdsThreadsHeapAndRssFlat() throws Exception {
        Report report = new Report("soak");
        WireMockServer faulty = new WireMockServer(options().bindAddress("127.0.0.1").port(Ports.free())
                .disableRequestJournal().containerThreads(40).jettyIdleTimeout(600_000L));
        faulty.start();
        try (TestUpstream plain = TestUpstream.start("plain").behave(new TestUpstream.Echo());
             TestUpstream collector = TestUpstream.start("collector")) {
            faulty.stubFor(any(urlPathMatching("/.*")).withId(STUB).willReturn(phases().get(0).stub()));
            String yaml = config(plain.address(), collector.address(), faulty.port(), "5s");
            // A fixed, pre-touched heap: RSS then moves only with native memory, so its curve shows a native leak.
            try (GatewayProcess gw = GatewayProcess.start("soak", yaml, Ports.free(), Ports.free(),
                    List.of("-Xms384m", "-Xmx384m", "-XX:+AlwaysPreTouch"))) {
                long pid = gw.pid();
                report.line("soak: %d s, %d client threads, sampled every %d s, fault phases of %d s, a reload every"
                                + " %d s; gateway pid %d; machine load average %s", LENGTH.toSeconds(), CLIENTS,
                        SAMPLE_EVERY.toSeconds(), PHASE.toSeconds(), RELOAD_EVERY.toSeconds(), pid,
                        Report.loadAverage());
                // Warm-up, outside the tally: the first requests of a fresh JVM pay for class loading and JIT.
                for (int i = 0; i < 50; i++) {
                    get(gw.url("/plain/warm"), null);
                    get(gw.url("/keyed/warm"), API_KEY);
                    get(gw.url("/faulty/warm"), null);
                }
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> clients = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    Random random = new Random(1000 + c);
                    Thread t = Thread.ofPlatform().name("soak-client-" + c).daemon().start(() -> {
                        while (!stop.get()) {
                            one(gw, random);
                            sleepQuietly(PAUSE_MILLIS);
                        }
                    });
                    clients.add(t);
                }
                List<Sample> samples = new ArrayList<>();
                report.line("%s", header());
                List<Phase> phases = phases();
                long start = System.nanoTime();
                long lastDone = 0;
                long lastErrors = 0;
                long lastUnexpected = 0;
                long lastSampleNanos = start;
                long nextSample = start + SAMPLE_EVERY.toNanos();
                long nextPhase = start + PHASE.toNanos();
                long nextReload = start + RELOAD_EVERY.toNanos();
                int phaseIndex = 0;
                int reloads = 0;
                long end = start + LENGTH.toNanos();
                while (System.nanoTime() < end) {
                    long now = System.nanoTime();
                    if (now >= nextPhase) {
                        phaseIndex = (phaseIndex + 1) % phases.size();
                        Phase p = phases.get(phaseIndex);
                        serve(faulty, p);
                        nextPhase += PHASE.toNanos();
                    }
                    if (now >= nextReload) {
                        reloads++;
                        HttpResponse<String> r = reload(gw, config(plain.address(), collector.address(),
                                faulty.port(), reloads % 2 == 0 ? "5s" : "4s"));
                        assertThat(r.statusCode()).as("reload %d: %s", reloads, r.body()).isEqualTo(200);
                        nextReload += RELOAD_EVERY.toNanos();
                    }
                    if (now >= nextSample) {
                        long d = done.sum();
                        long e = errors.sum();
                        long u = unexpected();
                        double seconds = (now - lastSampleNanos) / 1e9;
                        Sample s = new Sample(Math.round((now - start) / 1e9), status(pid, "VmRSS"),
                                heapAfterGcKib(pid), fds(pid), (int) status(pid, "Threads"),
                                (d - lastDone) / seconds, e - lastErrors, u - lastUnexpected, phase);
                        samples.add(s);
                        report.line("%s", row(s));
                        lastDone = d;
                        lastErrors = e;
                        lastUnexpected = u;
                        lastSampleNanos = now;
                        nextSample += SAMPLE_EVERY.toNanos();
                    }
                    sleepQuietly(100); // the runner's own tick: phases, reloads and samples fall due between ticks
                }
                stop.set(true);
                for (Thread t : clients) {
                    t.join(TimeUnit.SECONDS.toMillis(30));
                }

                // The faults stop: the pool must serve again, 100 requests in a row.
                serve(faulty, phases.get(0));
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> get(gw.url("/faulty/probe"), null) == 200);
                int inARow = 0;
                for (int i = 0; i < 100; i++) {
                    if (get(gw.url("/faulty/after-" + i), null) == 200) {
                        inARow++;
                    }
                }

                writeCsv(samples);
                tallies.forEach((kind, t) -> report.line("%-22s %s, not as expected: %d", kind, t.snapshot(),
                        t.unexpected.sum()));
                report.line("requests: %d in %d s (%.0f/s), reloads: %d, faulty route after the faults stopped: %d of"
                                + " 100 in a row answered 200", done.sum(), LENGTH.toSeconds(),
                        done.sum() / (double) LENGTH.toSeconds(), reloads, inARow);
                Flatness flat = Flatness.of(samples, LENGTH);
                report.line("flatness, middle third vs last third (medians): %s", flat);

                assertThat(unexpected()).as("requests not answered as expected: %s", tallies).isZero();
                assertThat(inARow).as("faulty route, after the faults stopped").isEqualTo(100);
                assertThat(samples.size()).as("samples").isGreaterThanOrEqualTo(6);
                flat.check();
                assertThat(gw.alive()).isTrue();
                assertThat(gw.pid()).isEqualTo(pid);
                // With the clients stopped, nothing may stay borrowed from the upstream pools or queued for them.
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                        .until(() -> gauge(withRetries(gw::metrics), "palisade_upstream_connections{state=\"busy\"}")
                                == 0 && gauge(withRetries(gw::metrics), "palisade_upstream_pending") == 0);
                String metrics = withRetries(gw::metrics);
                report.line("upstream connections at the end: %s", metrics.lines()
                        .filter(l -> l.startsWith("palisade_upstream_connections")).toList());
                assertThat(gw.stop()).isIn(0, 143);
                assertThat(gw.logText()).doesNotContain("LEAK").doesNotContain("Exception in thread")
                        .doesNotContain("OutOfMemoryError");
            }
        } finally {
            http.shutdownNow();
            faulty.stop();
        }
    }

    /**
     * Puts the faulty upstream in {@code p}: the one stub replaced in place (never a moment without one, which
     * WireMock would answer with 404), then the phase the clients read.
     */
    private void serve(WireMockServer faulty, Phase p) {
        faulty.editStub(any(urlPathMatching("/.*")).withId(STUB).willReturn(p.stub()));
        generation.incrementAndGet();
        phase = p.name();
    }

    /** A reload through the admin API; asked again when the call itself failed (nothing was sent, or no answer). */
    private static HttpResponse<String> reload(GatewayProcess gw, String yaml) throws Exception {
        return withRetries(() -> gw.reload(yaml));
    }

    private interface Call<T> {
        T call() throws IOException, InterruptedException;
    }

    /**
     * The runner's own calls to the admin port, tried up to 5 times: the gateway's answers are what is checked, and a
     * connect that timed out on a machine loaded by others is not one. Each retry is counted in the report.
     */
    private static <T> T withRetries(Call<T> call) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.call();
            } catch (IOException e) {
                if (attempt == 5) {
                    throw e;
                }
                System.out.println("[soak] admin call failed (" + e + "), trying again");
                Thread.sleep(1000);
            }
        }
    }

    private static double gauge(String metrics, String series) {
        return metrics.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .orElseThrow(() -> new AssertionError("no " + series));
    }

    private long unexpected() {
        return tallies.values().stream().mapToLong(t -> t.unexpected.sum()).sum();
    }

    /** One request of a seeded random kind, its answer checked against what that kind must get. */
    private void one(GatewayProcess gw, Random random) {
        int pick = random.nextInt(100);
        String n = Integer.toString(random.nextInt(1_000_000));
        if (pick < 30) {
            record("plain GET", get(gw.url("/plain/" + n), null), Set.of(200));
        } else if (pick < 40) {
            record("keyed GET", get(gw.url("/keyed/" + n), API_KEY), Set.of(200));
        } else if (pick < 45) {
            record("bad API key", get(gw.url("/keyed/" + n), "pk_soak_wrong_" + n), Set.of(401));
        } else if (pick < 48) {
            record("no API key", get(gw.url("/keyed/" + n), null), Set.of(401));
        } else if (pick < 58) {
            record("rate-limited GET", get(gw.url("/limited/" + n), null), Set.of(200, 429));
        } else if (pick < 66) {
            record("ingest POST", post(gw.url("/ingest"), "{\"event\":" + n + "}"), Set.of(202));
        } else if (pick < 68) {
            record("ingest empty POST", post(gw.url("/ingest"), ""), Set.of(400));
        } else if (pick < 71) {
            record("oversized POST", post(gw.url("/plain/" + n), "y".repeat(80 * 1024)), Set.of(413));
        } else if (pick < 80) {
            record("malformed request", raw(gw.port(), "GET /plain/" + n + " HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n"),
                    Set.of(400));
        } else {
            long before = generation.get();
            String during = phase;
            int status = get(gw.url("/faulty/" + n), null);
            // The stub changes before the phase does: only a request that saw one healthy phase from its start to
            // its end must get 200; one that met a change may have met the fault.
            boolean healthy = "healthy".equals(during) && generation.get() == before;
            record(healthy ? "faulty route (healthy)" : "faulty route (faults)", status,
                    healthy ? Set.of(200) : Set.of(200, 502, 503, 504, 0));
        }
    }

    private void record(String kind, int status, Set<Integer> expected) {
        done.increment();
        if (status == 0 || status >= 500) {
            errors.increment();
        }
        tallies.computeIfAbsent(kind, k -> new Tally()).add(status, expected.contains(status));
    }

    /** The status of a GET, or 0 when the connection was cut before a complete response. */
    private int get(String url, String apiKey) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        if (apiKey != null) {
            b.header("X-Api-Key", apiKey);
        }
        return send(b.GET().build());
    }

    private int post(String url, String body) {
        return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private int send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private static int raw(int port, String request) {
        try (RawClient c = new RawClient(port)) {
            c.send(request);
            RawClient.Response r = c.read();
            return r == null ? 0 : r.status();
        } catch (IOException e) {
            return 0;
        }
    }

    private static String config(String plain, String collector, int faultyPort, String plainTimeout)
            throws Exception {
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(API_KEY.getBytes(StandardCharsets.US_ASCII)));
        return """
                access_log: { enabled: false }
                server:
                  limits: { max_body: 1MiB, header_read_timeout: 5s, client_idle: 1h }
                ingest: { fsync: always }
                consumers:
                  soak:
                    api_keys: [ { sha256: "%s" } ]
                auth:
                  api_key: { header: X-Api-Key }
                clusters:
                  plain:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 1s, request: 10s, idle: 30s }
                  collector:
                    endpoints: [ "%s" ]
                  faulty:
                    endpoints: [ "127.0.0.1:%d" ]
                    timeouts: { connect: 1s, request: 10s, idle: 10s }
                    retries: { attempts: 0 }
                routes:
                  - name: plain
                    match: { path_prefix: /plain }
                    cluster: plain
                    timeouts: { request: %s }
                    request: { max_body: 64KiB }
                  - name: keyed
                    match: { path_prefix: /keyed }
                    cluster: plain
                    auth: { any_of: [api_key] }
                  - name: limited
                    match: { path_prefix: /limited }
                    cluster: plain
                    rate_limits:
                      - { key: ip, rate: 20/s, burst: 20 }
                  - name: ingest
                    match: { path_prefix: /ingest, methods: [POST] }
                    ingest:
                      cluster: collector
                      empty_body: reject
                      retry: { initial: 100ms, max: 2s, attempts: 100, max_age: 1h }
                  - name: faulty
                    match: { path_prefix: /faulty }
                    cluster: faulty
                    timeouts: { request: 3s }
                """.formatted(sha, plain, collector, faultyPort, plainTimeout);
    }

    // ------------------------------------------------------------------ what the runner reads of the process

    /** A field of /proc/PID/status in its unit (kB for sizes). */
    private static long status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no " + field + " in /proc/" + pid + "/status");
    }

    private static int fds(long pid) throws IOException {
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return (int) s.count();
        }
    }

    private static final Pattern HEAP_USED = Pattern.compile("committed \\d+K, used (\\d+)K");
    private static final Pattern HEAP_YOUNG =
            Pattern.compile("(\\d+) young \\((\\d+)K\\), (\\d+) survivors \\((\\d+)K\\)");

    /**
     * The heap in use right after a full collection the runner asks for: the live set, not whatever was in use when
     * GC last ran. Traffic allocates between the collection and the question, in new (eden) regions, which are taken
     * off.
     */
    private static long heapAfterGcKib(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        Matcher used = HEAP_USED.matcher(info);
        Matcher young = HEAP_YOUNG.matcher(info);
        if (!used.find() || !young.find()) {
            throw new IllegalStateException("jcmd GC.heap_info: " + info);
        }
        long eden = Long.parseLong(young.group(2)) - Long.parseLong(young.group(4));
        return Long.parseLong(used.group(1)) - eden;
    }

    /** Runs jcmd against the gateway, up to 3 times: attaching can time out on a machine loaded by others. */
    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        String out = "";
        for (int attempt = 0; attempt < 3; attempt++) {
            Process p = new ProcessBuilder(jcmd, "-J-Dsun.tools.attach.attachTimeout=30000", Long.toString(pid),
                    command).redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return out;
            }
            p.destroyForcibly();
        }
        throw new IllegalStateException("jcmd " + command + ": " + out);
    }

    // ------------------------------------------------------------------ the table and the criterion

    private static String header() {
        return String.format("%6s %9s %14s %5s %7s %8s %7s %10s  %s", "time_s", "rss_mib", "heap_after_gc", "fds",
                "threads", "req_s", "errors", "unexpected", "phase");
    }

    private static String row(Sample s) {
        return String.format("%6d %9.1f %14.1f %5d %7d %8.1f %7d %10d  %s", s.seconds(), s.rssKib() / 1024.0,
                s.heapAfterGcKib() / 1024.0, s.fds(), s.threads(), s.reqPerSecond(), s.errors(), s.unexpected(),
                s.phase());
    }

    private static void writeCsv(List<Sample> samples) throws IOException {
        Path dir = Files.createDirectories(Path.of(System.getProperty("palisade.drill.reports", "target/drills")));
        StringBuilder csv = new StringBuilder(
                "time_s,rss_kib,heap_after_gc_kib,fds,threads,req_per_s,errors,unexpected,phase\n");
        for (Sample s : samples) {
            csv.append(s.seconds()).append(',').append(s.rssKib()).append(',').append(s.heapAfterGcKib()).append(',')
                    .append(s.fds()).append(',').append(s.threads()).append(',')
                    .append(String.format("%.1f", s.reqPerSecond())).append(',').append(s.errors()).append(',')
                    .append(s.unexpected()).append(',').append(s.phase()).append('\n');
        }
        Files.writeString(dir.resolve("soak.csv"), csv);
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The middle third of the samples against the last third (medians), and the bounds they must keep. */
    record Flatness(long rssMid, long rssLast, long rssAllowedGrowth, long heapMid, long heapLast, int fdsMid,
                    int fdsLast, int threadsMid, int threadsLast) {
        /**
         * Single samples of open fds spread over about 20 (connections opened and closed around the sample); the
         * medians of a long run's thirds (13 samples each) stay within a few of each other, those of the smoke's
         * (5 samples) less surely, so the smoke allows twice as much.
         */
        static final int FD_MARGIN = System.getProperty(MINUTES_PROPERTY, "").isBlank() ? 20 : 10;
        static final int THREAD_MARGIN = 10;
        static final double HEAP_FACTOR = 1.5;
        /** RSS growth allowed per 10 minutes, as a share of the middle third's. */
        static final double RSS_GROWTH_PER_10_MIN = 0.10;
        static final long RSS_FLOOR_KIB = 32 * 1024;

        static Flatness of(List<Sample> samples, Duration length) {
            int third = samples.size() / 3;
            List<Sample> mid = samples.subList(third, 2 * third);
            List<Sample> last = samples.subList(samples.size() - third, samples.size());
            long rssMid = median(mid.stream().mapToLong(Sample::rssKib).toArray());
            // The two thirds' medians are a third of the run apart.
            double minutesApart = length.toSeconds() / 3.0 / 60.0;
            long allowed = Math.max(RSS_FLOOR_KIB, Math.round(rssMid * RSS_GROWTH_PER_10_MIN * minutesApart / 10.0));
            return new Flatness(rssMid, median(last.stream().mapToLong(Sample::rssKib).toArray()), allowed,
                    median(mid.stream().mapToLong(Sample::heapAfterGcKib).toArray()),
                    median(last.stream().mapToLong(Sample::heapAfterGcKib).toArray()),
                    (int) median(mid.stream().mapToLong(Sample::fds).toArray()),
                    (int) median(last.stream().mapToLong(Sample::fds).toArray()),
                    (int) median(mid.stream().mapToLong(Sample::threads).toArray()),
                    (int) median(last.stream().mapToLong(Sample::threads).toArray()));
        }

        private static long median(long[] values) {
            long[] v = values.clone();
            java.util.Arrays.sort(v);
            return v[v.length / 2];
        }

        void check() {
            assertThat(fdsLast).as("open fds, last third vs middle third").isLessThanOrEqualTo(fdsMid + FD_MARGIN);
            assertThat(threadsLast).as("threads, last third vs middle third")
                    .isLessThanOrEqualTo(threadsMid + THREAD_MARGIN);
            assertThat((double) heapLast).as("heap after GC (KiB), last third vs middle third")
                    .isLessThanOrEqualTo(Math.max(heapMid * HEAP_FACTOR, heapMid + 8 * 1024));
            assertThat(rssLast - rssMid).as("RSS growth (KiB), last third vs middle third")
                    .isLessThanOrEqualTo(rssAllowedGrowth);
        }

        @Override
        public String toString() {
            return String.format("RSS %.1f -> %.1f MiB (allowed growth %.1f MiB), heap after GC %.1f -> %.1f MiB"
                            + " (allowed %.1f), fds %d -> %d (allowed +%d), threads %d -> %d (allowed +%d)",
                    rssMid / 1024.0, rssLast / 1024.0, rssAllowedGrowth / 1024.0, heapMid / 1024.0, heapLast / 1024.0,
                    Math.max(heapMid * HEAP_FACTOR, heapMid + 8 * 1024) / 1024.0, fdsMid, fdsLast, FD_MARGIN,
                    threadsMid, threadsLast, THREAD_MARGIN);
        }
    }
}
