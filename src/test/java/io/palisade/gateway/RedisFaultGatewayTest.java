package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.PacedLoad;
import io.palisade.testing.RedisServer;
import io.palisade.testing.TestUpstream;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.slf4j.LoggerFactory;

/**
 * Redis faults seen from the gateway: redis-server killed, paused ({@code CLIENT PAUSE}) and slower than
 * {@code redis.timeout} ({@code DEBUG SLEEP}), each under a steady load at 2.5 x a global limit. Every request is
 * answered 200 or 429 (never a 5xx, never an error), the over-limit traffic keeps getting 429 at this node's share
 * while Redis cannot answer, {@code palisade_ratelimit_fallback_active} goes to 1 and back to 0, and the fault is
 * logged with one WARN line and the recovery with one INFO line. (On a busy shared machine a check may also miss the
 * deadline before the fault is injected: that is a real, short fallback and is reported, not counted as the fault.)
 *
 * <p>REAL TIME, on purpose: Lettuce's deadlines and Redis's pause run on real time, and the test measures admitted
 * rates. It asserts ratios of counts, never a duration. A busy shared machine can pause the load; an exact GCRA run over
 * the actual send times is the lower reference, the share's rate x window + burst the upper one (see
 * {@link RateLimitAccuracyTest}).
 */
class RedisFaultGatewayTest {
    private static final int RATE = 100;
    private static final int BURST = 10;
    private static final int NODES = 2;
    private static final int OFFERED = 250;
    private static final Pattern FALLBACK = Pattern.compile("(?m)^palisade_ratelimit_fallback_active ([0-9.]+)$");

    private RedisServer redis;
    private TestUpstream upstream;
    private GatewayFixture gw;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private Logger storeLogger;

    @BeforeEach
    void start(Gateways gateways) {
        storeLogger = (Logger) LoggerFactory.getLogger("io.palisade.ratelimit.RedisStore");
        logs.start();
        storeLogger.addAppender(logs);
        redis = RedisServer.start();
        upstream = TestUpstream.start("orders");
        gw = gateways.start("""
                rate_limiting:
                  store: redis
                  redis: { address: "%s", timeout: 250ms, probe_interval: 200ms }
                  nodes: %d
                clusters:
                  orders: { endpoints: [ "%s" ] }
                routes:
                  - name: orders
                    match: { path_prefix: /orders }
                    cluster: orders
                    rate_limits:
                      - { key: route, rate: %d/s, burst: %d, name: shared }
                """.formatted(redis.address(), NODES, upstream.address(), RATE, BURST));
        await("connected to Redis").atMost(Duration.ofSeconds(20)).until(() -> fallbackActive() == 0);
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

    @GatewayTest
    void redisKilled_answersAtTheNodeShare_andReturnsWhenRestarted() {
        run("killed", redis::kill, on -> {
            // Down for 2.5 s of load, then back on the same port (empty: no buckets, no script cache).
            await().atMost(Duration.ofSeconds(10)).until(() -> on.elapsedNanos() > on.fallbackSeenAt + 2_500_000_000L);
            redis.restart();
        });
    }

    @GatewayTest
    void redisPaused_answersAtTheNodeShare_andReturnsAfterThePause() {
        run("paused (CLIENT PAUSE 3000)", () -> assertThat(redis.command("CLIENT", "PAUSE", "3000")).isEqualTo("OK"),
                on -> { });
    }

    @GatewayTest
    void redisSlowerThanTheTimeout_answersAtTheNodeShare_andReturns() {
        run("slow (DEBUG SLEEP 3 > timeout 250ms)", () -> redis.send("DEBUG", "SLEEP", "3"), on -> { });
    }

    /** The state of one run, for the fault's own healing step. */
    private static final class Running {
        final PacedLoad load;
        volatile long fallbackSeenAt;

        Running(PacedLoad load) {
            this.load = load;
        }

        long elapsedNanos() {
            return load.elapsedNanos();
        }
    }

    private void run(String fault, Runnable inject, java.util.function.Consumer<Running> heal) {
        List<PacedLoad.Sample> samples;
        long faultAt;
        long fallbackOn;
        long fallbackOff;
        int logMark;
        try (PacedLoad load = PacedLoad.start(gw.port(), null, 4, OFFERED, Duration.ofSeconds(14), 14L * OFFERED,
                n -> new PacedLoad.Get("/orders/" + n))) {
            Running running = new Running(load);
            await().atMost(Duration.ofSeconds(10)).until(() -> load.elapsedNanos() > 2_000_000_000L);
            faultAt = load.elapsedNanos();
            logMark = logEvents().size();
            inject.run();
            await("fallback_active 1").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                    .until(() -> fallbackActive() == 1);
            fallbackOn = load.elapsedNanos();
            running.fallbackSeenAt = fallbackOn;
            heal.accept(running);
            await("fallback_active 0").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
                    .until(() -> fallbackActive() == 0);
            fallbackOff = load.elapsedNanos();
            long end = fallbackOff + 1_000_000_000L;
            await().atMost(Duration.ofSeconds(10)).until(() -> load.elapsedNanos() > end);
            samples = load.stop().samples();
        }

        List<PacedLoad.Sample> before = PacedLoad.between(samples, 0, faultAt);
        // Strictly inside the observed fallback (the metric is polled every 20 ms): every check there is local.
        List<PacedLoad.Sample> during = PacedLoad.between(samples, fallbackOn, fallbackOff - 50_000_000L);
        List<PacedLoad.Sample> after = PacedLoad.between(samples, fallbackOff + 200_000_000L, Long.MAX_VALUE);
        double shareRate = (double) RATE / NODES;
        long shareBurst = (BURST + NODES - 1) / NODES;
        double window = PacedLoad.spanSeconds(during);
        long admittedDuring = count(during, 200);
        double bound = shareRate * window + shareBurst;
        long exact = PacedLoad.gcraAdmits(during, shareRate, shareBurst);
        System.out.printf("[redis-fault] %s: fallback seen %.0f ms after the fault, for %.2f s; before: %s"
                        + " (%.1f admitted/s of %d/s); in fallback: %s, %d admitted in %.2f s = %.1f/s (share %.0f/s;"
                        + " bound %.1f, exact GCRA on the send times %d); after recovery: %s (%.1f admitted/s);"
                        + " largest pause %.0f ms; exact GCRA at the full rate before the fault %d%n",
                fault, (fallbackOn - faultAt) / 1e6, (fallbackOff - fallbackOn) / 1e9,
                PacedLoad.statusCounts(before), count(before, 200) / PacedLoad.spanSeconds(before), RATE,
                PacedLoad.statusCounts(during), admittedDuring, window, admittedDuring / window, shareRate, bound,
                exact, PacedLoad.statusCounts(after), count(after, 200) / PacedLoad.spanSeconds(after),
                PacedLoad.largestGapNanos(samples) / 1e6, PacedLoad.gcraAdmits(before, RATE, BURST));

        assertThat(samples).as("every request answered 200 or 429: never a 5xx, never an error")
                .allMatch(s -> s.status() == 200 || s.status() == 429);
        assertThat(count(during, 429)).as("never unlimited while Redis cannot answer").isPositive();
        assertThat((double) admittedDuring).as("in fallback: at most the node's share").isLessThanOrEqualTo(
                bound * 1.1 + 2);
        assertThat((double) admittedDuring).as("in fallback: the share, given the actual send times")
                .isGreaterThanOrEqualTo(exact * 0.9 - 2);
        assertThat(count(after, 429)).as("limited again on Redis after recovery").isPositive();

        List<ILoggingEvent> events = logEvents();
        List<ILoggingEvent> sinceFault = events.subList(logMark, events.size());
        System.out.printf("[redis-fault] %s: %d fallback episodes before the fault; log since the fault: %s%n", fault,
                events.subList(0, logMark).stream().filter(e -> e.getLevel() == Level.WARN).count(),
                sinceFault.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList());
        assertThat(sinceFault).as("log lines since the fault").isNotEmpty();
        assertThat(sinceFault.get(0).getLevel()).isEqualTo(Level.WARN);
        assertThat(sinceFault.get(0).getFormattedMessage())
                .contains("global limits now enforced locally at this node's share");
        assertThat(sinceFault).filteredOn(e -> e.getLevel() == Level.INFO)
                .first().satisfies(e -> assertThat(e.getFormattedMessage())
                        .contains("answers again; global limits back on Redis"));
        assertThat(fallbackActive()).isZero();

        // A good request afterwards, once the bucket refills.
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> gw.get("/orders/after").statusCode() == 200);
    }

    private List<ILoggingEvent> logEvents() {
        synchronized (logs) { // AppenderBase appends under the appender's own lock
            return List.copyOf(logs.list);
        }
    }

    private static long count(List<PacedLoad.Sample> samples, int status) {
        return samples.stream().filter(s -> s.status() == status).count();
    }

    private double fallbackActive() {
        Matcher m = FALLBACK.matcher(gw.admin("GET", "/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}
