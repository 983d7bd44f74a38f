package io.palisade.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.LoopbackHttp;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Routes with weighted {@code clusters:} in front of real upstreams on loopback: how requests split, what a weight of
 * 0 gets, where a cluster's share goes when it has no endpoint, and a reload that diverts a route.
 *
 * <p>The split is random per request, so its checks are statistical: the count of n requests sent to a cluster of
 * share p is Binomial(n, p), and each check allows five standard deviations, sqrt(n p (1 - p)) each (a false alarm
 * about once in 1.7 million runs). The exact proportions, with a deterministic draw, are WeightTableTest's.
 */
class WeightedClustersIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Gateways gateways;

    @BeforeEach
    void setUp(Gateways gateways) {
        this.gateways = gateways;
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private TestUpstream upstream(String name) {
        TestUpstream u = TestUpstream.start(name);
        resources.add(u);
        return u;
    }

    /** Clusters {@code a} and {@code b}, one endpoint and {@code clusterExtra} each, split by one route. */
    private static String twoClusters(String a, String b, int weightA, int weightB, String clusterExtra) {
        return """
                clusters:
                  a: { endpoints: [ "%s" ]%s }
                  b: { endpoints: [ "%s" ]%s }
                routes:
                  - name: split
                    match: { path_prefix: / }
                    clusters: [ { name: a, weight: %d }, { name: b, weight: %d } ]
                """.formatted(a, clusterExtra, b, clusterExtra, weightA, weightB);
    }

    /**
     * Sends {@code n} GETs one after another, alternating between two keep-alive connections (which several event
     * loops may serve); every one must succeed. Returns how many each upstream answered.
     */
    private static Map<String, Integer> send(GatewayFixture gw, int n) {
        Map<String, Integer> served = new HashMap<>();
        try (LoopbackHttp first = new LoopbackHttp(gw.port(), null, 30_000);
             LoopbackHttp second = new LoopbackHttp(gw.port(), null, 30_000)) {
            for (int i = 0; i < n; i++) {
                LoopbackHttp.Response r = (i % 2 == 0 ? first : second).get("/r" + i);
                assertThat(r.status()).as("request %d", i).isEqualTo(200);
                served.merge(r.header("x-upstream"), 1, Integer::sum);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return served;
    }

    /** Five standard deviations of a Binomial(n, p) count. */
    private static int fiveSigma(int n, double p) {
        return (int) Math.ceil(5 * Math.sqrt(n * p * (1 - p)));
    }

    private static double metric(GatewayFixture gw, String series) {
        for (String line : gw.admin("GET", "/metrics").body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        return 0;
    }

    /** The admin port's view of {@code cluster}'s only endpoint. */
    private static JsonNode endpoint(GatewayFixture gw, String cluster) throws Exception {
        for (JsonNode c : JSON.readTree(gw.admin("GET", "/clusters").body())) {
            if (c.get("name").asText().equals(cluster)) {
                return c.get("endpoints").get(0);
            }
        }
        throw new AssertionError("no cluster " + cluster);
    }

    private static int closedPort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- the split

    @GatewayTest(loops = {1, 2})
    void fiftyFifty_twoThousandRequests_splitWithinFiveSigma_andMetricsNameTheServingCluster() {
        TestUpstream a = upstream("a");
        TestUpstream b = upstream("b");
        GatewayFixture gw = gateways.start(twoClusters(a.address(), b.address(), 50, 50, ""));

        Map<String, Integer> served = send(gw, 2000);

        int tolerance = fiveSigma(2000, 0.5); // 112
        assertThat(served.get("a")).isBetween(1000 - tolerance, 1000 + tolerance);
        assertThat(served.get("a") + served.get("b")).isEqualTo(2000);
        assertThat(a.requestCount()).isEqualTo(served.get("a"));
        // An outcome is counted as its exchange ends, which may be just after the client read the response.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(metric(gw, "palisade_requests_total{cluster=\"a\",code_class=\"2xx\",route=\"split\"}"))
                    .isEqualTo((double) served.get("a"));
            assertThat(metric(gw, "palisade_requests_total{cluster=\"b\",code_class=\"2xx\",route=\"split\"}"))
                    .isEqualTo((double) served.get("b"));
        });
    }

    @GatewayTest(loops = {1, 2})
    void ninetyTen_twoThousandRequests_splitWithinFiveSigma() {
        TestUpstream a = upstream("a");
        TestUpstream b = upstream("b");
        GatewayFixture gw = gateways.start(twoClusters(a.address(), b.address(), 90, 10, ""));

        Map<String, Integer> served = send(gw, 2000);

        int tolerance = fiveSigma(2000, 0.1); // 68
        assertThat(served.get("b")).isBetween(200 - tolerance, 200 + tolerance);
        assertThat(served.get("a") + served.get("b")).isEqualTo(2000);
    }

    @GatewayTest(loops = {1, 2})
    void weightZero_getsExactlyNothing() {
        TestUpstream a = upstream("a");
        TestUpstream b = upstream("b");
        TestUpstream diverted = upstream("diverted");
        GatewayFixture gw = gateways.start("""
                clusters:
                  a: { endpoints: [ "%s" ] }
                  b: { endpoints: [ "%s" ] }
                  diverted: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: / }
                    clusters: [ { name: a, weight: 1 }, { name: diverted, weight: 0 }, { name: b, weight: 1 } ]
                """.formatted(a.address(), b.address(), diverted.address()));

        Map<String, Integer> served = send(gw, 400);

        assertThat(served).containsOnlyKeys("a", "b");
        assertThat(diverted.requestCount()).isZero();
        assertThat(diverted.connectionCount()).as("not even a connection").isZero();
    }

    // ---------------------------------------------------------------- a cluster without endpoints

    @GatewayTest(loops = {1, 2})
    void clusterMarkedDownByItsActiveCheck_givesItsShareToTheOther_untilItIsBack() throws Exception {
        TestUpstream a = upstream("a");
        TestUpstream b = upstream("b");
        // Only b is checked; two failed checks in a row mark it down, so one check slowed by a busy machine won't.
        GatewayFixture gw = gateways.start("""
                clusters:
                  a: { endpoints: [ "%s" ] }
                  b:
                    endpoints: [ "%s" ]
                    health_check: { path: /healthz, interval: 300ms, timeout: 250ms, unhealthy_after: 2, healthy_after: 1 }
                routes:
                  - match: { path_prefix: / }
                    clusters: [ { name: a, weight: 50 }, { name: b, weight: 50 } ]
                """.formatted(a.address(), b.address()));
        await().atMost(Duration.ofSeconds(30)).until(() -> endpoint(gw, "b").get("health").asText()
                .equals("HEALTHY"));

        b.behave(new TestUpstream.Close());
        await().atMost(Duration.ofSeconds(30)).until(() -> endpoint(gw, "b").get("health").asText()
                .equals("UNHEALTHY"));
        int bBefore = b.requestCount();

        assertThat(send(gw, 300)).containsOnlyKeys("a").containsEntry("a", 300);
        List<TestUpstream.Received> seen = List.copyOf(b.received()); // the checks go on arriving
        assertThat(seen.subList(bBefore, seen.size()))
                .as("only health checks reached b").allMatch(r -> r.uri().equals("/healthz"));

        b.behave(new TestUpstream.Respond(200, null, 0));
        await().atMost(Duration.ofSeconds(30)).until(() -> endpoint(gw, "b").get("health").asText()
                .equals("HEALTHY"));
        Map<String, Integer> served = send(gw, 300);
        assertThat(served.get("b")).as("b takes its share again").isBetween(150 - fiveSigma(300, 0.5),
                150 + fiveSigma(300, 0.5));
    }

    @GatewayTest(loops = {1, 2})
    void closedPortEjectedPassively_givesItsShareToTheOther() throws Exception {
        TestUpstream a = upstream("a");
        // No retries: each request picked for b fails until passive ejection takes b's only endpoint out.
        GatewayFixture gw = gateways.start(twoClusters(a.address(), "127.0.0.1:" + closedPort(), 50, 50,
                ", retries: { attempts: 0 }, outlier: { consecutive_failures: 3, ejection: 5m, max_ejection: 5m }"));

        await().atMost(Duration.ofSeconds(30)).until(() -> {
            gw.get("/until-ejected");
            return endpoint(gw, "b").get("ejected").asBoolean();
        });

        assertThat(send(gw, 300)).containsOnlyKeys("a").containsEntry("a", 300);
    }

    @GatewayTest(loops = {1, 2})
    void retryOfARequestWhoseClusterHasNothingLeft_goesToTheOtherCluster() {
        TestUpstream a = upstream("a");
        // b's only endpoint refuses every connection and is never ejected: only the retry can save its requests.
        GatewayFixture gw = gateways.start(twoClusters(a.address(), "127.0.0.1:" + closedPort(), 50, 50,
                ", retries: { attempts: 1 }, outlier: { consecutive_failures: 1000000 }"));

        assertThat(send(gw, 200)).containsOnlyKeys("a").containsEntry("a", 200);
        assertThat(metric(gw, "palisade_upstream_failures_total{cluster=\"b\",kind=\"connect\"}"))
                .as("b was picked first for some").isPositive();
    }

    @GatewayTest
    void retryStaysOnThePickedCluster_whileItHasAnotherEndpoint() {
        TestUpstream a = upstream("a");
        TestUpstream b = upstream("b");
        // a's first endpoint refuses connections; a retry of a request picked for a goes to a's other endpoint.
        GatewayFixture gw = gateways.start("""
                clusters:
                  a:
                    endpoints: [ "127.0.0.1:%d", "%s" ]
                    retries: { attempts: 1 }
                    outlier: { consecutive_failures: 1000000 }
                  b: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: / }
                    clusters: [ { name: a, weight: 50 }, { name: b, weight: 50 } ]
                """.formatted(closedPort(), a.address(), b.address()));

        Map<String, Integer> served = send(gw, 400);

        // Moved to b, a's retries would give b about 300 of them (its half, and half of a's).
        assertThat(served.get("b")).isBetween(200 - fiveSigma(400, 0.5), 200 + fiveSigma(400, 0.5));
    }

    // ---------------------------------------------------------------- a diversion by reload

    @GatewayTest(loops = {1, 2})
    void reload_fromFiftyFiftyToHundredZero_movesEveryNewRequest() throws Exception {
        TestUpstream a = upstream("a");
        TestUpstream b = upstream("b");
        GatewayFixture gw = gateways.start(twoClusters(a.address(), b.address(), 50, 50, ""));
        Map<String, Integer> before = send(gw, 200);
        assertThat(before.get("b")).isBetween(100 - fiveSigma(200, 0.5), 100 + fiveSigma(200, 0.5));

        assertThat(gw.reload(twoClusters(a.address(), b.address(), 100, 0, "")).applied()).isTrue();
        int bAtReload = b.requestCount();

        assertThat(send(gw, 300)).containsOnlyKeys("a").containsEntry("a", 300);
        assertThat(b.requestCount()).isEqualTo(bAtReload);
        assertThat(JSON.readTree(gw.admin("GET", "/config").body()).at("/config/routes/0/clusters").toString())
                .isEqualTo("[{\"name\":\"a\",\"weight\":100},{\"name\":\"b\",\"weight\":0}]");
    }

    // ---------------------------------------------------------------- per-cluster policy

    @GatewayTest(loops = {1, 2})
    void adaptiveConcurrency_countsEachRequestOnThePickedClustersLimit() {
        CompletableFuture<Void> release = new CompletableFuture<>();
        TestUpstream a = upstream("a").behave(new TestUpstream.Held(release));
        TestUpstream b = upstream("b").behave(new TestUpstream.Held(release));
        GatewayFixture gw = gateways.start(twoClusters(a.address(), b.address(), 50, 50,
                ", adaptive_concurrency: { initial: 100, min: 100, max: 200 }"));
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                held.add(gw.client().sendAsync(HttpRequest.newBuilder(URI.create(gw.url("/held/" + i)))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> a.requestCount() + b.requestCount() == 12);

            assertThat(metric(gw, "palisade_adaptive_concurrency_inflight{cluster=\"a\"}"))
                    .isEqualTo((double) a.requestCount());
            assertThat(metric(gw, "palisade_adaptive_concurrency_inflight{cluster=\"b\"}"))
                    .isEqualTo((double) b.requestCount());
        } finally {
            release.complete(null);
        }
        held.forEach(f -> assertThat(f.join().statusCode()).isEqualTo(200));
        await().atMost(Duration.ofSeconds(30)).until(() -> metric(gw,
                "palisade_adaptive_concurrency_inflight{cluster=\"a\"}") + metric(gw,
                "palisade_adaptive_concurrency_inflight{cluster=\"b\"}") == 0);
    }
}
