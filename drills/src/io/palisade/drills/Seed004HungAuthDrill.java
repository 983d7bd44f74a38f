package io.palisade.drills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Seed 004: a config change pointed the auth library at a wrong address; calls to it hung with no timeout and took
 * every serving thread, and monitoring hung with them. Here the external auth service accepts connections and never
 * answers. Its routes must get 503 + Retry-After within their deadline (never 403), routes without auth must keep
 * their latency, the admin port must keep answering, and when the service comes back the gateway must recover by
 * itself (the circuit breaker's half-open probe), with no restart and no config change.
 *
 * <p>The auth deadline is 3 s, so that anything that waited on the hung service stands out from scheduling noise: the
 * open route's p99 must stay within {@link NoiseBounds#p99Ms} (10 x its p99 before, 10 x a {@link NoiseControl}'s
 * alongside, at least 1 s), the slowest 503 within {@link NoiseBounds#singleMs} of the deadline (the same, at least
 * 5 s), and recovery within 10 x ({@code open_for} + deadline). The seed's hang (no deadline at all) crosses each of
 * them; the figures are in the report.
 *
 * <p>Detect and tell: the auth route's SLO burns on the 503s, and an incident must open on the public status page by
 * itself while the hang lasts (goal: within 120 s), naming the auth route's component and not the open one; when the
 * service answers again it must move to {@code monitoring} and resolve by itself.
 */
class Seed004HungAuthDrill {
    /** Monitoring's view of the admin port: HTTP/1.1, as Prometheus scrapes. */
    private static final HttpClient ADMIN = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final long DEADLINE_MS = 3_000;
    private static final long OPEN_FOR_MS = 2_000;
    /** Well beyond the slowest 503 allowed, so that a late answer is measured rather than cut off. */
    private static final Duration CALLER_TIMEOUT = Duration.ofSeconds(30);
    /** Requests of the open route before the hang, and again during it. */
    private static final int OPEN_REQUESTS = DrillLength.pick(1_000, 4_000);
    /** The longest either phase of the open route may take, however slow the machine. */
    private static final Duration PHASE = DrillLength.pick(Duration.ofSeconds(20), Duration.ofSeconds(110));
    /** Calls of the auth route answered after it recovered. */
    private static final int RECOVERED_CALLS = DrillLength.pick(500, 2_000);
    private static final Pattern LAG = Pattern.compile("^palisade_event_loop_lag_max_seconds (\\S+)$",
            Pattern.MULTILINE);
    private static final Pattern DECISIONS = Pattern.compile(
            "^palisade_auth_decisions_total\\{([^}]*)} (\\S+)$", Pattern.MULTILINE);

    @Test
    void hungAuthService_503WithinDeadline_openRoutesUnaffected_recoversByItself() throws Exception {
        Report report = new Report("seed004-hung-auth");
        int authPort = Ports.free();
        int statusPort = Ports.free();
        SilentServer silent = new SilentServer(authPort);
        ReleaseDrills.AnsweringAuth answering = null;
        try (TestUpstream app = TestUpstream.start("app");
             GatewayProcess gw = GatewayProcess.start("seed004-auth", """
                     access_log: { enabled: false }
                     auth:
                       external:
                         policy:
                           url: "http://127.0.0.1:%d/check"
                           timeout: %dms
                           breaker: { open_for: %dms }
                     clusters:
                       app: { endpoints: [ "%s" ] }
                     routes:
                       - name: secure
                         match: { path_prefix: /secure }
                         cluster: app
                         auth: { any_of: ["external:policy"] }
                       - name: open
                         match: { path_prefix: /open }
                         cluster: app
                     """.formatted(authPort, DEADLINE_MS, OPEN_FOR_MS, app.address())
                     + StatusWatch.yaml(statusPort, "secure", "open"), Ports.free(), Ports.free());
             StatusWatch watch = StatusWatch.start(statusPort)) {
            List<Load.Sample> before;
            try (Load open = new Load(4, PHASE, n -> Load.get(gw.url("/open/" + n),
                    Duration.ofSeconds(10)))) {
                before = open.runUntil(OPEN_REQUESTS).samples();
            }
            NoiseControl control = new NoiseControl(app);

            // The auth service hangs: 16 callers keep the auth route busy while the open route serves a baseline's
            // worth of requests, and the admin port is scraped as monitoring would.
            List<Load.Sample> during;
            List<Callers.Call> hung;
            List<Long> scrapeMs = new ArrayList<>();
            Map<String, Integer> scrapeStatuses = new TreeMap<>();
            StatusWatch.Sighting opened;
            Map<String, String> componentsDuring;
            long faultAt = System.nanoTime();
            try (Callers secure = new Callers(16, gw.url("/secure/")); Load open = new Load(4, PHASE,
                    n -> Load.get(gw.url("/open/" + n), Duration.ofSeconds(10)))) {
                while (open.sent() < OPEN_REQUESTS && open.elapsedMs() < PHASE.toMillis()) {
                    long t0 = System.nanoTime();
                    scrapeStatuses.merge(scrape(gw.admin("/metrics")), 1, Integer::sum);
                    scrapeMs.add((System.nanoTime() - t0) / 1_000_000);
                    Thread.sleep(200); // monitoring scrapes at its own pace
                }
                open.runUntil(OPEN_REQUESTS);
                // The hang lasts until the status page has said so (or the goal's 120 s have passed).
                opened = watch.await("investigating", faultAt, Duration.ofSeconds(120));
                componentsDuring = watch.components();
                secure.stop();
                during = open.samples();
                hung = secure.calls();
            }
            double controlP99 = control.stop();
            long atDeadline = hung.stream().filter(c -> c.latencyMs() >= DEADLINE_MS).count();
            long slowest = hung.stream().mapToLong(Callers.Call::latencyMs).max().orElse(0);
            double beforeP99 = Load.percentileMs(before, 0.99);
            double duringP99 = Load.percentileMs(during, 0.99);
            double openBound = NoiseBounds.p99Ms(beforeP99, controlP99);
            double slowestBound = DEADLINE_MS + NoiseBounds.singleMs(beforeP99, controlP99);
            report.line("%s run; machine load average %s (2 shared cores)", DrillLength.name(), Report.loadAverage());
            report.line("auth service silent: %d calls on the auth route, statuses %s, all with Retry-After: %s;"
                            + " %d answered at the deadline (%d ms), %d at once by the open circuit or the bulkhead;"
                            + " slowest %d ms (deadline %d ms + at most %s)", hung.size(), statusCounts(hung),
                    hung.stream().allMatch(Callers.Call::retryAfter), atDeadline, DEADLINE_MS,
                    hung.size() - atDeadline, slowest, DEADLINE_MS,
                    NoiseBounds.explain(beforeP99, controlP99, NoiseBounds.SINGLE_FLOOR, slowestBound - DEADLINE_MS));
            report.line("silent service accepted %d connections for those %d requests", silent.acceptedCount(),
                    hung.size());
            long firstSent = hung.stream().mapToLong(Callers.Call::sentAt).min().orElse(0);
            // The first of them go through a cold auth client (class loading, compilation), which a starved machine
            // makes slow: they show how much of the slowest answer that is.
            report.line("the first 40 calls that waited for the deadline (sent at s: took ms): %s", hung.stream()
                    .filter(c -> c.latencyMs() >= DEADLINE_MS).sorted(Comparator.comparingLong(Callers.Call::sentAt))
                    .limit(40).map(c -> String.format("%.2f: %d", (c.sentAt() - firstSent) / 1e9, c.latencyMs()))
                    .toList());
            report.line("route without auth: p50 %.2f ms / p99 %.2f ms before, p50 %.2f ms / p99 %.2f ms during"
                            + " (%s), slowest %.2f ms (%d and %d requests, statuses %s)",
                    Load.percentileMs(before, 0.5), beforeP99, Load.percentileMs(during, 0.5), duringP99,
                    NoiseBounds.explain(beforeP99, controlP99, NoiseBounds.P99_FLOOR, openBound),
                    Load.percentileMs(during, 1.0), before.size(), during.size(), Load.statusCounts(during));
            report.line("control during the hang: %s", control.figures());
            report.line("admin /metrics during the hang: %d scrapes %s, slowest %d ms; event-loop lag max %.1f ms",
                    scrapeMs.size(), scrapeStatuses, scrapeMs.stream().mapToLong(x -> x).max().orElse(0),
                    maxLag(gw.metrics()) * 1000);

            assertThat(scrapeStatuses).as("monitoring keeps answering").containsOnlyKeys("200");
            assertThat(hung).isNotEmpty();
            assertThat(statusCounts(hung)).as("a hung auth service is 503, never 403 or 401").containsOnlyKeys(503);
            assertThat(hung).as("every 503 says when to retry").allMatch(Callers.Call::retryAfter);
            assertThat((double) slowest).as("answered at the deadline, plus no more than noise adds (ms)")
                    .isLessThanOrEqualTo(slowestBound);
            assertThat(during).isNotEmpty().allMatch(s -> s.status() == 200);
            // A request that waited behind auth would wait its 3 s deadline: the bound is below that unless the
            // machine was that slow without the hung service.
            assertThat(duringP99).as("the open route never waits behind auth (p99, ms)").isLessThanOrEqualTo(openBound);

            // The service comes back on the same address; nobody touches the gateway.
            long switchAt;
            long recoveredAt;
            StatusWatch.Sighting monitoring;
            StatusWatch.Sighting resolved;
            List<Callers.Call> recovery;
            try (Callers secure = new Callers(8, gw.url("/secure/"))) {
                await().atMost(Duration.ofSeconds(30)).until(() -> secure.calls().size() >= 100);
                switchAt = System.nanoTime();
                silent.close();
                answering = new ReleaseDrills.AnsweringAuth(authPort);
                await().atMost(Duration.ofSeconds(60)).until(() -> secure.calls().stream()
                        .anyMatch(c -> c.status() == 200 && c.sentAt() > switchAt));
                recoveredAt = secure.calls().stream().filter(c -> c.status() == 200 && c.sentAt() > switchAt)
                        .mapToLong(Callers.Call::answeredAt).min().orElseThrow();
                int atRecovery = secure.calls().size();
                await().atMost(Duration.ofSeconds(60)).until(() -> secure.calls().size()
                        >= atRecovery + RECOVERED_CALLS);
                monitoring = watch.await("monitoring", switchAt, Duration.ofSeconds(120));
                resolved = watch.await("resolved", switchAt, Duration.ofSeconds(120));
                secure.stop();
                recovery = secure.calls();
            }
            List<Callers.Call> between = recovery.stream()
                    .filter(c -> c.sentAt() > switchAt && c.answeredAt() < recoveredAt).toList();
            List<Callers.Call> after = recovery.stream().filter(c -> c.sentAt() > recoveredAt).toList();
            double recoverySeconds = (recoveredAt - switchAt) / 1e9;
            report.line("service back on the same port: first 200 after %.2f s (circuit open_for %d ms, deadline"
                            + " %d ms; it depends on where in its open/half-open cycle the circuit was); meanwhile"
                            + " %d calls %s; after it %d calls %s; the service answered %d checks",
                    recoverySeconds, OPEN_FOR_MS, DEADLINE_MS, between.size(), statusCounts(between), after.size(),
                    statusCounts(after), answering.checks());
            String metrics = gw.metrics();
            report.line("auth decisions on the auth route: allowed %.0f, unavailable %.0f, forbidden %.0f",
                    sum(metrics, "secure", "allowed"), sum(metrics, "secure", "unavailable"),
                    sum(metrics, "secure", "forbidden"));

            report.line("status page: incident \"%s\" (impact %s) seen %.1f s after the hang began (goal <= 120 s;"
                            + " the auth deadline is %d ms); components then %s; after the service came back:"
                            + " monitoring after %.1f s, resolved after %.1f s (resolve_after %d s); %d incident(s)",
                    opened.name(), opened.impact(), StatusWatch.seconds(faultAt, opened), DEADLINE_MS,
                    componentsDuring, StatusWatch.seconds(switchAt, monitoring), StatusWatch.seconds(switchAt, resolved),
                    StatusWatch.RESOLVE_AFTER.toSeconds(),
                    watch.incidents());
            assertThat(StatusWatch.seconds(faultAt, opened)).as("seconds from fault to incident")
                    .isLessThanOrEqualTo(120);
            assertThat(componentsDuring.get("secure")).as("the auth route's component").isNotEqualTo("operational");
            assertThat(componentsDuring.get("open")).as("the open route's component").isEqualTo("operational");
            assertThat(watch.incidents())
                    .as("one fault, one incident").isEqualTo(1);
            assertThat(watch.components()).as("all operational once resolved")
                    .allSatisfy((id, status) -> assertThat(status).isEqualTo("operational"));
            assertThat(recoverySeconds).as("recovers by itself within 10 x (open_for + deadline) (s)")
                    .isLessThanOrEqualTo(NoiseBounds.FACTOR * (OPEN_FOR_MS + DEADLINE_MS) / 1000.0);
            assertThat(between).as("until then, still 503 and never 403").allMatch(c -> c.status() == 503);
            assertThat(after).isNotEmpty().allMatch(c -> c.status() == 200);
            assertThat(sum(metrics, "secure", "forbidden")).isZero();
            assertThat(gw.stop()).isIn(0, 143);
            assertThat(gw.logText()).doesNotContain("LEAK");
        } finally {
            silent.close();
            if (answering != null) {
                answering.close();
            }
        }
    }

    /** The status of one scrape, or what went wrong instead. */
    private static String scrape(String url) throws InterruptedException {
        try {
            return Integer.toString(ADMIN.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        } catch (IOException e) {
            return e.getClass().getSimpleName();
        }
    }

    private static Map<Integer, Long> statusCounts(List<Callers.Call> calls) {
        Map<Integer, Long> m = new TreeMap<>();
        calls.forEach(c -> m.merge(c.status(), 1L, Long::sum));
        return m;
    }

    private static double maxLag(String metrics) {
        Matcher m = LAG.matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static double sum(String metrics, String route, String outcome) {
        double total = 0;
        Matcher m = DECISIONS.matcher(metrics);
        while (m.find()) {
            if (m.group(1).contains("route=\"" + route + "\"") && m.group(1).contains("outcome=\"" + outcome + "\"")) {
                total += Double.parseDouble(m.group(2));
            }
        }
        return total;
    }

    /**
     * Closed-loop callers of an auth route that keep what {@link Load} does not: whether each answer carried
     * Retry-After, and absolute send and answer times to measure recovery against. Each call asks about a different
     * path, as distinct clients would, so calls are not folded into one by the decision cache or single-flight.
     */
    private static final class Callers implements AutoCloseable {
        record Call(long sentAt, long answeredAt, int status, boolean retryAfter) {
            long latencyMs() {
                return (answeredAt - sentAt) / 1_000_000;
            }
        }

        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> threads = new ArrayList<>();

        Callers(int workers, String urlPrefix) {
            for (int w = 0; w < workers; w++) {
                int worker = w;
                threads.add(Thread.ofVirtual().start(() -> {
                    for (long n = 0; !stop.get(); n++) {
                        HttpRequest req = HttpRequest.newBuilder(URI.create(urlPrefix + worker + "/" + n))
                                .timeout(CALLER_TIMEOUT).build();
                        long t0 = System.nanoTime();
                        int status;
                        boolean retryAfter = false;
                        try {
                            HttpResponse<Void> r = client.send(req, HttpResponse.BodyHandlers.discarding());
                            status = r.statusCode();
                            retryAfter = r.headers().firstValue("retry-after").isPresent();
                        } catch (IOException e) {
                            status = 0;
                        } catch (InterruptedException e) {
                            return;
                        }
                        calls.add(new Call(t0, System.nanoTime(), status, retryAfter));
                    }
                }));
            }
        }

        List<Call> calls() {
            return List.copyOf(calls);
        }

        void stop() {
            stop.set(true);
            try {
                for (Thread t : threads) {
                    t.join(Duration.ofSeconds(30));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            stop();
        }
    }
}
