package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.palisade.auth.ApiKeys;
import io.palisade.admin.ReloadResult;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.Gateways;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.palisade.testing.TestUpstream;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Metric series named after config (routes, clusters, consumers) follow reloads instead of piling up. */
class ReloadMetricsTest {
    @RegisterExtension
    static final Gateways gateways = Gateways.onSystemTime(Gateways.SEVERAL);

    private static final int RELOADS = 5;
    private static final Pattern LABEL = Pattern.compile("(route|cluster|consumer)=\"([^\"]*)\"");

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    /**
     * Generation {@code i}: consumer {@code c<i>} with {@code key}; route {@code r<i>} (API key) to cluster
     * {@code k<i>}; route {@code h<i>} to cluster {@code s<i>} on an upstream that holds requests; route {@code d<i>}
     * to cluster {@code x<i>}, whose endpoint refuses connections.
     */
    private static String config(int i, ApiKeys.GeneratedKey key, TestUpstream app, TestUpstream held, int closed) {
        return """
                consumers:
                  c%1$d: { groups: [users], api_keys: [ { sha256: "%2$s" } ] }
                auth:
                  api_key: { header: X-Api-Key }
                clusters:
                  k%1$d: { endpoints: [ "%3$s" ] }
                  s%1$d: { endpoints: [ "%4$s" ] }
                  x%1$d: { endpoints: [ "127.0.0.1:%5$d" ], retries: { attempts: 0 } }
                routes:
                  - name: r%1$d
                    match: { path_prefix: /r }
                    cluster: k%1$d
                    auth: { any_of: [api_key] }
                  - name: h%1$d
                    match: { path_prefix: /held }
                    cluster: s%1$d
                  - name: d%1$d
                    match: { path_prefix: /dead }
                    cluster: x%1$d
                """.formatted(i, key.sha256Hex(), app.address(), held.address(), closed);
    }

    @Test
    void reloadsWithChangingNames_leaveOnlyTheLiveRoutesClustersAndConsumersInTheScrape() throws Exception {
        TestUpstream app = TestUpstream.start("app");
        resources.add(app);
        TestUpstream held = TestUpstream.start("held");
        resources.add(held);
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        List<ApiKeys.GeneratedKey> keys = new ArrayList<>();
        for (int i = 0; i < RELOADS; i++) {
            keys.add(ApiKeys.generate());
        }
        GatewayFixture gw = gateways.start(config(0, keys.get(0), app, held, closed));

        for (int i = 0; i < RELOADS; i++) {
            assertThat(gw.get("/r", "X-Api-Key", keys.get(i).key()).statusCode()).isEqualTo(200);
            assertThat(gw.get("/r", "X-Api-Key", "pk_wrong").statusCode()).isEqualTo(401);
            assertThat(gw.get("/dead").statusCode()).isEqualTo(502);
            assertThat(gw.get("/nowhere").statusCode()).isEqualTo(404);
            if (i + 1 == RELOADS) {
                break;
            }
            // A request of this generation still in flight across the reload records after it: the series of its
            // route and cluster must not come back.
            CompletableFuture<Void> release = new CompletableFuture<>();
            held.behave(new TestUpstream.Held(release));
            int before = held.requestCount();
            CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> gw.get("/held"));
            await().atMost(Duration.ofSeconds(10)).until(() -> held.requestCount() == before + 1);
            // Each version renames the cluster of the closed port, which pre-flight refuses by design: forced.
            ReloadResult next = gw.forceReload(config(i + 1, keys.get(i + 1), app, held, closed));
            assertThat(next.applied()).as("%s", next.errors()).isTrue();
            release.complete(null);
            assertThat(inFlight.join().statusCode()).isEqualTo(200);
        }

        String scrape = gw.admin("GET", "/metrics").body();
        List<String> stale = new ArrayList<>();
        Matcher m = LABEL.matcher(scrape);
        while (m.find()) {
            String value = m.group(2);
            if (value.matches("[rhdkscx][0-3]")) {
                stale.add(m.group());
            }
        }
        assertThat(stale).as("series of routes, clusters and consumers no reload kept").isEmpty();
        assertThat(scrape).contains("route=\"r4\"", "route=\"d4\"", "route=\"unmatched\"", "cluster=\"k4\"",
                "cluster=\"x4\"", "consumer=\"c4\"", "consumer=\"-\"");
    }
}
