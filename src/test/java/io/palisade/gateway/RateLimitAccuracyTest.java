package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.FakeTicker;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.RawClient;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * How exact a local limit is through the whole gateway. The gateway runs on a fake ticker and the client sends each
 * request at an exact simulated time, over several keep-alive connections (spread over the event loops when there are
 * several), so what GCRA must admit is known to the request: {@code floor(burst + rate x span)} for a load that never
 * pauses longer than {@code burst / rate}, where span runs from the first request to the last.
 *
 * <p>An accuracy figure on real time (a real client offering load to the real process on a busy machine) is a drill's
 * job, not a unit test's: see {@code RedisSharedLimitDrill}, which prints one for a shared limit.
 */
class RateLimitAccuracyTest {
    private static final int RATE = 200;
    private static final int BURST = 50;
    /** 500 requests/s offered: 2.5 x the limit. */
    private static final Duration STEP = Duration.ofMillis(2);
    private static final int CONNECTIONS = 4;

    private TestUpstream upstream;

    @AfterEach
    void tearDown() {
        if (upstream != null) {
            upstream.close();
        }
    }

    /** Answers counted by status, and the Retry-After values of the 429s. */
    private record Counts(int admitted, int limited, List<String> retryAfters) {}

    @GatewayTest(loops = {1, 2}, fakeTime = true)
    void localLimit_throughTheGateway_admitsExactlyBurstPlusRateTimesSpan_andAPauseRefillsOnlyTheBurst(
            Gateways gateways, FakeTicker ticker) throws IOException {
        upstream = TestUpstream.start("orders");
        GatewayFixture gw = gateways.start("""
                clusters:
                  orders: { endpoints: [ "%s" ] }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                    rate_limits:
                      - { key: route, rate: %d/s, burst: %d, name: accuracy }
                """.formatted(upstream.address(), RATE, BURST));

        List<RawClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                clients.add(new RawClient(gw.port()));
            }
            // Sent at 0, 2, ..., 998 ms: floor(50 + 200/s x 0.998 s) = floor(249.6).
            Counts steady = offer(clients, ticker, 500);
            assertThat(steady.admitted()).isEqualTo(249);
            assertThat(steady.limited()).isEqualTo(251);
            assertThat(steady.retryAfters()).as("never more than 1 / rate to wait, rounded up").containsOnly("1");

            // A pause of 2 s, far longer than burst / rate (250 ms): the bucket refills to its burst and no further.
            // Then sent at 0, 2, ..., 498 ms after the pause: floor(50 + 200/s x 0.498 s) = floor(149.6).
            ticker.advance(Duration.ofSeconds(2));
            Counts afterPause = offer(clients, ticker, 250);
            assertThat(afterPause.admitted()).isEqualTo(149);
            assertThat(afterPause.limited()).isEqualTo(101);
        } finally {
            for (RawClient c : clients) {
                c.close();
            }
        }
        assertThat(upstream.requestCount()).as("every admitted request reached the upstream").isEqualTo(249 + 149);
        String metrics = gw.admin("GET", "/metrics").body();
        assertThat(RateLimitGatewayTest.metricValue(metrics, "palisade_ratelimit_rejections_total",
                "rule=\"orders/accuracy\"")).isEqualTo(251 + 101);
    }

    /** Sends {@code requests} one {@link #STEP} apart on the ticker, round robin over the connections. */
    private static Counts offer(List<RawClient> clients, FakeTicker ticker, int requests) throws IOException {
        int admitted = 0;
        int limited = 0;
        List<String> retryAfters = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            RawClient c = clients.get(i % clients.size());
            c.send("GET /orders/" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
            RawClient.Response r = c.read();
            assertThat(r).as("request %d answered", i).isNotNull();
            switch (r.status()) {
                case 200 -> admitted++;
                case 429 -> {
                    limited++;
                    retryAfters.add(r.header("retry-after"));
                }
                default -> throw new AssertionError("request " + i + ": status " + r.status() + " " + r.body());
            }
            ticker.advance(STEP);
        }
        return new Counts(admitted, limited, retryAfters);
    }
}
