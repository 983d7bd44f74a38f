package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.palisade.testing.FakeTicker;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.RawClient;
import io.palisade.testing.RedisServer;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.slf4j.LoggerFactory;

/**
 * Redis faults seen from the gateway: redis-server killed, paused ({@code CLIENT PAUSE}) and slower than
 * {@code redis.timeout} ({@code DEBUG SLEEP}), under a load at 2.5 x a global limit. Every request is answered 200 or
 * 429 (never a 5xx), while Redis cannot answer this node admits exactly its share of the limit,
 * {@code palisade_ratelimit_fallback_active} goes to 1 and back to 0, and the fault is logged with one WARN line and
 * the recovery with one INFO line.
 *
 * <p>The gateway runs on a fake ticker and the client sends each request at an exact simulated time, so the node's
 * share in fallback is exact: {@code floor(burst + rate x span)} of a bucket that starts full. Only the faults run on
 * real time (Lettuce's deadline, the pause and the sleep); the test waits for the gateway's own fallback and recovery,
 * and checks by the fallback-decision counter that a phase was decided wholly locally, or wholly on Redis, rather than
 * assuming a fault lasted long enough.
 *
 * <p>On Redis the count is a lower bound only: Redis expires a bucket on its own clock once the bucket's TAT has passed,
 * so a bucket lives as long in real time as its TAT runs ahead in fake time, and a machine slower than the fake ticker
 * sees it forgotten early. The limit is slow (1/s, burst 10: a full bucket runs 10 s ahead) so that only a request
 * taking seconds could make Redis forget one.
 */
class RedisFaultGatewayTest {
    private static final int RATE = 1;
    private static final int BURST = 10;
    private static final int NODES = 2;
    /** 2.5 requests/s offered: 2.5 x the limit. */
    private static final Duration STEP = Duration.ofMillis(400);
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);
    /** Longer than any bucket here takes to refill its burst (10 s): after it a bucket is as good as new. */
    private static final Duration REFILL = Duration.ofSeconds(30);
    /** How long the pause and the sleep last: far more than the in-fallback phase needs on a busy machine. */
    private static final int FAULT_SECONDS = 8;
    private static final Pattern FALLBACK = Pattern.compile("(?m)^palisade_ratelimit_fallback_active ([0-9.]+)$");
    private static final Pattern FALLBACK_DECISIONS =
            Pattern.compile("(?m)^palisade_ratelimit_fallback_decisions_total ([0-9.eE+]+)$");

    private RedisServer redis;
    private TestUpstream upstream;
    private GatewayFixture gw;
    private FakeTicker ticker;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private Logger storeLogger;

    @BeforeEach
    void start(Gateways gateways, FakeTicker ticker) throws IOException {
        this.ticker = ticker;
        storeLogger = (Logger) LoggerFactory.getLogger("io.palisade.ratelimit.RedisStore");
        logs.start();
        storeLogger.addAppender(logs);
        redis = RedisServer.start();
        upstream = TestUpstream.start("orders");
        // The deadline is generous so that only the faults, never a busy machine, make a check miss it.
        gw = gateways.start("""
                rate_limiting:
                  store: redis
                  redis: { address: "%s", timeout: 2s, probe_interval: %dms }
                  nodes: %d
                clusters:
                  orders: { endpoints: [ "%s" ] }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                    rate_limits:
                      - { key: route, rate: %d/s, burst: %d, name: shared }
                """.formatted(redis.address(), PROBE_INTERVAL.toMillis(), NODES, upstream.address(), RATE, BURST));
        try (RawClient client = new RawClient(gw.port())) {
            awaitFallback(client, 0, "connected to Redis");
        }
        ticker.advance(REFILL);
    }

    @AfterEach
    void stop() {
        storeLogger.detachAppender(logs);
        if (upstream != null) {
            upstream.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @GatewayTest(fakeTime = true)
    void redisKilled_answersAtTheNodeShare_andReturnsWhenRestarted() throws IOException {
        run("killed", redis::kill, redis::restart);
    }

    @GatewayTest(fakeTime = true)
    void redisPaused_answersAtTheNodeShare_andReturnsAfterThePause() throws IOException {
        run("paused (CLIENT PAUSE)", () -> assertThat(redis.command("CLIENT", "PAUSE",
                String.valueOf(FAULT_SECONDS * 1000))).isEqualTo("OK"), () -> { });
    }

    @GatewayTest(fakeTime = true)
    void redisSlowerThanTheTimeout_answersAtTheNodeShare_andReturns() throws IOException {
        run("slow (DEBUG SLEEP > timeout 2s)", () -> redis.send("DEBUG", "SLEEP", String.valueOf(FAULT_SECONDS)),
                () -> { });
    }

    /** Answers of one phase. */
    private record Counts(int admitted, int limited) {}

    private void run(String fault, Runnable inject, Runnable heal) throws IOException {
        Counts before;
        Counts during;
        Counts after;
        int logMark;
        try (RawClient client = new RawClient(gw.port())) {
            // 100 requests, sent at 0, 0.4, ..., 39.6 s, on Redis at the full limit: floor(10 + 1/s x 39.6 s) = 49
            // from an exact limiter.
            before = offer(client, 100, 0);
            assertOnRedis(before, "before the fault");

            logMark = logEvents().size();
            inject.run();
            awaitFallback(client, 1, "fallback_active 1");
            ticker.advance(REFILL);

            // 50 requests at this node's share (0.5/s, burst 5): floor(5 + 0.5/s x 19.6 s) = 14, each decided here.
            during = offer(client, 50, 50);
            assertThat(during).as("in fallback: exactly the node's share").isEqualTo(new Counts(14, 36));

            heal.run();
            awaitFallback(client, 0, "fallback_active 0");
            ticker.advance(REFILL);
            after = offer(client, 100, 0);
        }
        System.out.printf("[redis-fault] %s: before %s, in fallback %s, after recovery %s%n", fault, before, during,
                after);
        assertOnRedis(after, "after the recovery");

        List<ILoggingEvent> events = logEvents();
        List<ILoggingEvent> sinceFault = events.subList(logMark, events.size());
        System.out.printf("[redis-fault] %s: log since the fault: %s%n", fault,
                sinceFault.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList());
        assertThat(sinceFault).as("log lines since the fault").isNotEmpty();
        assertThat(sinceFault.get(0).getLevel()).isEqualTo(Level.WARN);
        assertThat(sinceFault.get(0).getFormattedMessage())
                .contains("global limits now enforced locally at this node's share");
        assertThat(sinceFault).filteredOn(e -> e.getLevel() == Level.INFO)
                .first().satisfies(e -> assertThat(e.getFormattedMessage())
                        .contains("answers again; global limits back on Redis"));
        assertThat(fallbackActive()).isZero();
    }

    /** At least what an exact limiter admits (see the class comment), and limited: Redis enforces the limit. */
    private static void assertOnRedis(Counts counts, String when) {
        assertThat(counts.admitted()).as("admitted on Redis " + when).isGreaterThanOrEqualTo(49);
        assertThat(counts.limited()).as("limited on Redis " + when).isPositive();
    }

    /**
     * Sends {@code requests}, one {@link #STEP} apart on the ticker; each must be answered 200 or 429, and exactly
     * {@code localDecisions} of them decided at the local share (0: all on Redis).
     */
    private Counts offer(RawClient client, int requests, int localDecisions) throws IOException {
        double decisionsBefore = metric(FALLBACK_DECISIONS);
        int admitted = 0;
        int limited = 0;
        for (int i = 0; i < requests; i++) {
            int status = get(client);
            if (status == 200) {
                admitted++;
            } else {
                limited++;
            }
            ticker.advance(STEP);
        }
        assertThat(metric(FALLBACK_DECISIONS) - decisionsBefore).as("checks decided at the local share")
                .isEqualTo((double) localDecisions);
        return new Counts(admitted, limited);
    }

    /**
     * Sends requests until {@code palisade_ratelimit_fallback_active} is {@code value}, a probe interval apart on the
     * ticker: Redis's store notices faults and recoveries on checks and probes, which ride on traffic.
     */
    private void awaitFallback(RawClient client, int value, String what) {
        await(what).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            get(client);
            ticker.advance(PROBE_INTERVAL);
            return fallbackActive() == value;
        });
    }

    private static int get(RawClient client) throws IOException {
        client.send("GET /orders/x HTTP/1.1\r\nHost: a\r\n\r\n");
        RawClient.Response r = client.read();
        assertThat(r).as("an answer").isNotNull();
        assertThat(r.status()).as("200 or 429, never an error: %s", r.body()).isIn(200, 429);
        return r.status();
    }

    private List<ILoggingEvent> logEvents() {
        synchronized (logs) { // AppenderBase appends under the appender's own lock
            return List.copyOf(logs.list);
        }
    }

    private double fallbackActive() {
        return metric(FALLBACK);
    }

    private double metric(Pattern series) {
        try {
            Matcher m = series.matcher(gw.admin("GET", "/metrics").body());
            return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
        } catch (UncheckedIOException e) {
            throw new AssertionError("the admin port stopped answering", e);
        }
    }
}
