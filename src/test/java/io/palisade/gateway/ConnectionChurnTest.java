package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.RawClient;
import io.palisade.testing.TestUpstream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;

/**
 * Client connections opening and closing all the time, while the upstream connections stay pooled: the pooled ones
 * must never be lost to the churn. (With Netty 4.2.7's io_uring transport and assertions on, this test failed: an
 * assert on the loop's shared iovec array failed gathering writes, so some client connections closed without an
 * answer and pooled upstream connections closed under requests, which retries mostly hid.)
 */
class ConnectionChurnTest {
    private static final int CLIENTS = 4;
    private static final int REQUESTS_EACH = 400;

    private TestUpstream upstream;
    private GatewayFixture gw;

    @AfterEach
    void tearDown() throws Exception {
        if (upstream != null) {
            upstream.close();
        }
    }

    @GatewayTest(loops = {1, 2})
    void aNewClientConnectionPerRequest_neverCostsAPooledUpstreamConnection(Gateways gateways) throws Exception {
        upstream = TestUpstream.start("app");
        gw = gateways.start("""
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(upstream.address()));

        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<List<Integer>>> results = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                results.add(pool.submit(() -> {
                    List<Integer> statuses = new ArrayList<>(REQUESTS_EACH);
                    for (int i = 0; i < REQUESTS_EACH; i++) {
                        try (RawClient raw = new RawClient(gw.port())) {
                            raw.send("GET /c" + client + "/" + i + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
                            RawClient.Response r = raw.read();
                            statuses.add(r == null ? 0 : r.status()); // 0: closed without an answer
                        }
                    }
                    return statuses;
                }));
            }
            for (Future<List<Integer>> f : results) {
                assertThat(f.get()).hasSize(REQUESTS_EACH).containsOnly(200);
            }
        } finally {
            pool.shutdownNow();
        }

        String metrics = gw.admin("GET", "/metrics").body();
        assertThat(RateLimitGatewayTest.metricValue(metrics, "palisade_upstream_failures_total", "cluster=\"app\""))
                .as("upstream failures (resets, timeouts) during the churn").isZero();
        assertThat(upstream.requestCount()).isEqualTo(CLIENTS * REQUESTS_EACH);
        // At most one upstream connection per concurrent request (4 clients) and event loop, reused throughout.
        assertThat(upstream.connectionCount()).isLessThanOrEqualTo(CLIENTS * gw.loops());
    }
}
