package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.palisade.auth.ApiKeys;
import io.palisade.testing.FakeTicker;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;

/**
 * Rate limits, concurrency caps and adaptive shedding through the real gateway (in this JVM, on loopback), with one
 * event loop and with several: exact statuses, exact header syntax, what each limit is keyed by, and that the limit of
 * one key never touches another.
 *
 * <p>The rate-limit tests run the gateway on a fake ticker: a bucket refills only when the test advances it, so every
 * Retry-After and {@code t=} is exact and a refill happens at exactly the nanosecond the rate says, however slowly the
 * machine runs the test.
 */
class RateLimitGatewayTest {
    private final ApiKeys.GeneratedKey acme = ApiKeys.generate();
    private final ApiKeys.GeneratedKey globex = ApiKeys.generate();
    private TestUpstream upstream;
    private GatewayFixture gw;

    @AfterEach
    void tearDown() {
        if (upstream != null) {
            upstream.close();
        }
    }

    private String consumers() {
        return """
                consumers:
                  acme: { groups: [tenants], api_keys: [ { sha256: "%s" } ] }
                  globex: { groups: [tenants], api_keys: [ { sha256: "%s" } ] }
                auth:
                  api_key: { header: X-Api-Key }
                """.formatted(acme.sha256Hex(), globex.sha256Hex());
    }

    @GatewayTest(loops = {1, 2}, fakeTime = true)
    void perSecondBurstAndPerDayQuota_bothEnforced_429WithExactHeaders(Gateways gateways, FakeTicker ticker) {
        upstream = TestUpstream.start("orders");
        gw = gateways.start(consumers() + """
                clusters:
                  orders: { endpoints: [ "%s" ] }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                    auth: { any_of: [api_key] }
                    rate_limits:
                      - { key: ip, rate: 1000/s, burst: 1000, before_auth: true, name: per-ip }
                      - { key: consumer, rate: 2/s, name: burst }
                      - { key: consumer, rate: 5/d, name: daily }
                """.formatted(upstream.address()));
        String policy = "\"per-ip\";q=1000;w=1, \"burst\";q=2;w=1, \"daily\";q=5;w=86400";

        HttpResponse<String> first = gw.get("/orders/1", "X-Api-Key", acme.key());
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().allValues("ratelimit-policy")).containsExactly(policy);
        // The per-second burst has 1 of 2 left (0.5), the day 4 of 5 (0.8): the burst is closer to exhaustion.
        assertThat(first.headers().allValues("ratelimit")).containsExactly("\"burst\";r=1;t=1");
        assertThat(first.headers().firstValue("retry-after")).isEmpty();

        assertThat(gw.get("/orders/2", "X-Api-Key", acme.key()).statusCode()).isEqualTo(200);
        HttpResponse<String> burst = gw.get("/orders/3", "X-Api-Key", acme.key());
        assertRejected(burst, 429, "rate_limited");
        assertThat(burst.headers().allValues("retry-after")).containsExactly("1");
        assertThat(burst.headers().allValues("ratelimit-policy")).containsExactly(policy);
        assertThat(burst.headers().allValues("ratelimit")).containsExactly("\"burst\";r=0;t=1");

        // 2/s: the burst gives one request back every 500 ms; refused requests did not spend the daily quota.
        for (int i = 4; i <= 6; i++) {
            ticker.advance(Duration.ofMillis(500));
            HttpResponse<String> refilled = gw.get("/orders/" + i, "X-Api-Key", acme.key());
            assertThat(refilled.statusCode()).as("request %d, 500 ms after the previous one", i).isEqualTo(200);
            assertThat(refilled.headers().allValues("ratelimit")).hasSize(1);
        }
        assertThat(upstream.requestCount()).as("admitted requests reached the upstream").isEqualTo(5);

        // The day's five are spent (at 0, 0, 0.5, 1 and 1.5 s). At 2 s the burst has one again, but the per-day rule
        // (one every 86400 / 5 = 17280 s, five at once) rejects until 17280 s after the first: 17278 s from now.
        ticker.advance(Duration.ofMillis(500));
        HttpResponse<String> daily = gw.get("/orders/7", "X-Api-Key", acme.key());
        assertRejected(daily, 429, "rate_limited");
        assertThat(daily.headers().allValues("retry-after")).containsExactly("17278");
        assertThat(daily.headers().allValues("ratelimit")).containsExactly("\"daily\";r=0;t=17278");
        assertThat(upstream.requestCount()).isEqualTo(5);

        // Another consumer has its own buckets.
        HttpResponse<String> other = gw.get("/orders/9", "X-Api-Key", globex.key());
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(other.headers().allValues("ratelimit")).containsExactly("\"burst\";r=1;t=1");
        assertThat(rejections(gw, "rate_limited")).isEqualTo(count429(gw)).isEqualTo(2.0);
    }

    @GatewayTest(loops = {1, 2}, fakeTime = true)
    void overTheBurst_is429UntilExactlyOneIntervalHasPassed_then200(Gateways gateways, FakeTicker ticker) {
        upstream = TestUpstream.start("orders");
        gw = gateways.start("""
                clusters:
                  orders: { endpoints: [ "%s" ] }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                    rate_limits:
                      - { key: ip, rate: 2/s, burst: 2, name: per-ip }
                """.formatted(upstream.address()));
        assertThat(gw.get("/orders/1").statusCode()).isEqualTo(200);
        assertThat(gw.get("/orders/2").statusCode()).isEqualTo(200);
        assertRejected(gw.get("/orders/3"), 429, "rate_limited");

        ticker.advance(Duration.ofMillis(499));
        HttpResponse<String> early = gw.get("/orders/4");
        assertRejected(early, 429, "rate_limited");
        assertThat(early.headers().allValues("retry-after")).as("1 ms to go, rounded up").containsExactly("1");

        ticker.advanceNanos(Duration.ofMillis(1).toNanos());
        assertThat(gw.get("/orders/5").statusCode()).as("at exactly 1 / rate").isEqualTo(200);
        assertRejected(gw.get("/orders/6"), 429, "rate_limited");
        assertThat(upstream.requestCount()).isEqualTo(3);
    }

    @GatewayTest(loops = {1, 2}, fakeTime = true)
    void ipRuleBeforeAuth_refusesAnUnauthenticatedFlood_beforeAuthCountsIt(Gateways gateways) throws Exception {
        upstream = TestUpstream.start("orders");
        gw = gateways.start(consumers() + """
                clusters:
                  orders: { endpoints: [ "%s" ] }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                    auth: { any_of: [api_key] }
                    rate_limits:
                      - { key: ip, rate: 5/m, before_auth: true, name: per-ip }
                """.formatted(upstream.address()));
        HttpClient flooder = clientFrom("127.0.0.3");
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String key = i % 2 == 0 ? "pk_invalid_" + i : null;
            HttpResponse<String> r = key == null ? send(flooder, "/orders/" + i)
                    : send(flooder, "/orders/" + i, "X-Api-Key", key);
            statuses.add(r.statusCode());
            if (r.statusCode() == 429) {
                assertRejected(r, 429, "rate_limited");
                assertThat(r.headers().allValues("ratelimit-policy")).containsExactly("\"per-ip\";q=5;w=60");
                // 5/m: one request back every 12 s, and the fake ticker has not moved.
                assertThat(r.headers().allValues("ratelimit")).containsExactly("\"per-ip\";r=0;t=12");
                assertThat(r.headers().allValues("retry-after")).containsExactly("12");
            }
        }
        assertThat(statuses.subList(0, 5)).containsOnly(401);
        assertThat(statuses.subList(5, 30)).containsOnly(429);

        String metrics = gw.admin("GET", "/metrics").body();
        assertThat(metricValue(metrics, "palisade_auth_decisions_total", "outcome=\"unauthenticated\""))
                .as("auth saw only the 5 requests the ip rule let through").isEqualTo(5.0);
        assertThat(metricValue(metrics, "palisade_ratelimit_rejections_total", "rule=\"orders/per-ip\""))
                .isEqualTo(25.0);
        assertThat(upstream.requestCount()).isZero();

        // Another address is not limited by the flooder's bucket; a valid key gets through.
        HttpClient good = clientFrom("127.0.0.2");
        HttpResponse<String> ok = send(good, "/orders/ok", "X-Api-Key", acme.key());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().allValues("ratelimit")).containsExactly("\"per-ip\";r=4;t=12");
        assertThat(upstream.requestCount()).isEqualTo(1);
    }

    @GatewayTest(fakeTime = true)
    void compositeKey_consumerAndRegionHeader_countSeparately(Gateways gateways) {
        upstream = TestUpstream.start("orders");
        gw = gateways.start(consumers() + """
                clusters:
                  orders: { endpoints: [ "%s" ] }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                    auth: { any_of: [api_key] }
                    rate_limits:
                      - { key: [consumer, header:X-Region], rate: 2/m }
                """.formatted(upstream.address()));
        String name = "consumer+header:x-region-2/m";

        assertThat(gw.get("/orders/1", "X-Api-Key", acme.key(), "X-Region", "eu").statusCode()).isEqualTo(200);
        HttpResponse<String> second = gw.get("/orders/2", "X-Api-Key", acme.key(), "X-Region", "eu");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().allValues("ratelimit-policy")).containsExactly("\"" + name + "\";q=2;w=60");
        assertThat(second.headers().allValues("ratelimit")).containsExactly("\"" + name + "\";r=0;t=60");
        HttpResponse<String> limited = gw.get("/orders/3", "X-Api-Key", acme.key(), "X-Region", "eu");
        assertRejected(limited, 429, "rate_limited");
        assertThat(limited.headers().allValues("retry-after")).containsExactly("30");

        // Same consumer, another region; same region, another consumer; no region at all: three other buckets.
        assertThat(gw.get("/orders/4", "X-Api-Key", acme.key(), "X-Region", "us").statusCode()).isEqualTo(200);
        assertThat(gw.get("/orders/5", "X-Api-Key", globex.key(), "X-Region", "eu").statusCode()).isEqualTo(200);
        assertThat(gw.get("/orders/6", "X-Api-Key", acme.key()).statusCode()).isEqualTo(200);
        // Each bucket still holds its own count.
        assertThat(gw.get("/orders/7", "X-Api-Key", acme.key(), "X-Region", "eu").statusCode()).isEqualTo(429);
        assertThat(gw.get("/orders/8", "X-Api-Key", acme.key(), "X-Region", "us").statusCode()).isEqualTo(200);
        assertThat(gw.get("/orders/9", "X-Api-Key", acme.key(), "X-Region", "us").statusCode()).isEqualTo(429);
        assertThat(upstream.requestCount()).isEqualTo(6);
    }

    @GatewayTest(loops = {1, 2})
    void perConsumerInFlightCap_429WhileSlotsHeld_otherConsumerUnaffected(Gateways gateways) {
        CompletableFuture<Void> release = new CompletableFuture<>();
        upstream = TestUpstream.start("orders").behave(new TestUpstream.Held(release));
        gw = gateways.start(consumers() + """
                clusters:
                  orders: { endpoints: [ "%s" ] }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                    auth: { any_of: [api_key] }
                    concurrency: { per_consumer: 2 }
                """.formatted(upstream.address()));

        List<CompletableFuture<HttpResponse<String>>> held = List.of(
                sendAsync("/orders/slow-1", "X-Api-Key", acme.key()),
                sendAsync("/orders/slow-2", "X-Api-Key", acme.key()));
        await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requestCount() == 2);

        HttpResponse<String> third = gw.get("/orders/3", "X-Api-Key", acme.key());
        assertRejected(third, 429, "concurrency_limited");
        assertThat(third.headers().allValues("retry-after")).containsExactly("1");
        assertThat(upstream.requestCount()).as("the refused request never reached the upstream").isEqualTo(2);

        CompletableFuture<HttpResponse<String>> other = sendAsync("/orders/g1", "X-Api-Key", globex.key());
        CompletableFuture<HttpResponse<String>> other2 = sendAsync("/orders/g2", "X-Api-Key", globex.key());
        // The other consumer's requests reach the upstream while acme's two still hold their slots.
        await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requestCount() == 4);
        release.complete(null);
        assertThat(other.join().statusCode()).isEqualTo(200);
        assertThat(other2.join().statusCode()).isEqualTo(200);
        assertThat(held).allSatisfy(f -> assertThat(f.join().statusCode()).isEqualTo(200));

        // The slots came back when the held requests ended.
        upstream.behave(new TestUpstream.Respond(200, null, 0));
        assertThat(gw.get("/orders/after", "X-Api-Key", acme.key()).statusCode()).isEqualTo(200);
        String metrics = gw.admin("GET", "/metrics").body();
        assertThat(metricValue(metrics, "palisade_rejections_total", "reason=\"concurrency_limited\"")).isEqualTo(1.0);
    }

    @GatewayTest(loops = {1, 2})
    void adaptiveConcurrency_shedsTheHeaviestConsumer503_lightConsumerPasses(Gateways gateways) {
        CompletableFuture<Void> release = new CompletableFuture<>();
        upstream = TestUpstream.start("orders").behave(new TestUpstream.Held(release));
        // A fixed limit of 4 (min = max): share for a lone tenant ceil(4/2) = 2, reserve max(1, ceil(4/10)) = 1, so the
        // heavy tenant gets 3 slots and the 4th is kept for a consumer below its share.
        gw = gateways.start(consumers() + """
                clusters:
                  orders:
                    endpoints: [ "%s" ]
                    adaptive_concurrency: { min: 4, max: 4, initial: 4 }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                    auth: { any_of: [api_key] }
                """.formatted(upstream.address()));

        List<CompletableFuture<HttpResponse<String>>> heavy = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            heavy.add(sendAsync("/orders/heavy-" + i, "X-Api-Key", acme.key()));
            int expected = i + 1;
            await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requestCount() == expected);
        }
        HttpResponse<String> shed = gw.get("/orders/heavy-3", "X-Api-Key", acme.key());
        assertRejected(shed, 503, "load_shed");
        assertThat(shed.headers().allValues("retry-after")).containsExactly("1");

        CompletableFuture<HttpResponse<String>> light = sendAsync("/orders/light", "X-Api-Key", globex.key());
        await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requestCount() == 4);
        // Now at the limit: everyone is refused until a slot frees, the heavy tenant first of all.
        assertRejected(gw.get("/orders/heavy-4", "X-Api-Key", acme.key()), 503, "load_shed");
        release.complete(null);
        assertThat(light.join().statusCode()).isEqualTo(200);
        assertThat(heavy).allSatisfy(f -> assertThat(f.join().statusCode()).isEqualTo(200));

        upstream.behave(new TestUpstream.Respond(200, null, 0));
        assertThat(gw.get("/orders/after", "X-Api-Key", acme.key()).statusCode()).isEqualTo(200);
        String metrics = gw.admin("GET", "/metrics").body();
        assertThat(metricValue(metrics, "palisade_rejections_total", "reason=\"load_shed\"")).isEqualTo(2.0);
        assertThat(metricValue(metrics, "palisade_adaptive_concurrency_limit", "cluster=\"orders\"")).isEqualTo(4.0);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void assertRejected(HttpResponse<String> r, int status, String code) {
        assertThat(r.statusCode()).as("status of %s", r.body()).isEqualTo(status);
        assertThat(r.body()).contains("\"error\":\"" + code + "\"");
        assertThat(r.headers().firstValue("cache-control")).contains("no-store");
    }

    private CompletableFuture<HttpResponse<String>> sendAsync(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gw.url(path))).timeout(Duration.ofSeconds(30));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return gw.client().sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A client whose connections come from {@code address} (any 127.0.0.0/8 address is loopback on Linux). */
    private static HttpClient clientFrom(String address) throws IOException {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .localAddress(InetAddress.getByName(address)).build();
    }

    private HttpResponse<String> send(HttpClient client, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gw.url(path))).timeout(Duration.ofSeconds(30));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The sum of the series of {@code name} whose labels contain {@code label}. */
    static double metricValue(String metrics, String name, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)} ([0-9.eE+-]+)$").matcher(metrics);
        double sum = 0;
        while (m.find()) {
            if (m.group(1).contains(label)) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    private static double rejections(GatewayFixture gw, String reason) {
        return metricValue(gw.admin("GET", "/metrics").body(), "palisade_rejections_total",
                "reason=\"" + reason + "\"");
    }

    private static double count429(GatewayFixture gw) {
        return metricValue(gw.admin("GET", "/metrics").body(), "palisade_ratelimit_rejections_total", "rule=");
    }
}
