package io.palisade.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.palisade.testing.FakeTicker;
import io.palisade.testing.RedisServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Global limits on a real Redis, driven by a fake ticker: the script is given each node's ticker-derived time, so the
 * tests are exact and independent of how fast the machine is.
 */
class RedisRateLimiterTest {
    private static final Clock WALL = Clock.fixed(Instant.parse("2026-03-01T12:00:00Z"), ZoneOffset.UTC);
    private static RedisServer redis;

    private final FakeTicker ticker = new FakeTicker();
    private RateLimiter node1;
    private RateLimiter node2;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void flush() {
        redis.command("FLUSHALL");
    }

    @AfterEach
    void closeLimiters() {
        if (node1 != null) {
            node1.close();
        }
        if (node2 != null) {
            node2.close();
        }
    }

    private RateLimiter connectedNode() {
        // A generous deadline: these tests are about exactness, not faults; a GC pause must not trigger fallback.
        RateLimiter limiter = RateLimiter.create(Limits.settings("""
                store: redis
                redis: { address: %s, timeout: 5s }
                nodes: 2
                """.formatted(redis.address())), ticker, WALL);
        await().atMost(Duration.ofSeconds(20)).until(() -> !limiter.stats().fallbackActive());
        return limiter;
    }

    private static LimitDecision check(RateLimiter limiter, RouteLimits limits, LimitKeys keys) throws Exception {
        return limiter.check("orders", limits, Phase.AFTER_AUTH, keys).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void luaGcra_admitsTheBurstThenOnePerInterval_exactly() throws Exception {
        node1 = connectedNode();
        RouteLimits limits = Limits.of("rate_limits: [ { key: consumer, rate: 10/s, burst: 20, name: g } ]");
        LimitKeys keys = Limits.keys("10.0.0.1", "acme");
        assertThat(node1.checkNow("orders", limits, Phase.AFTER_AUTH, keys)).as("Redis must be asked").isEmpty();
        for (int i = 0; i < 20; i++) {
            LimitDecision d = check(node1, limits, keys);
            assertThat(d.allowed()).as("request %d", i + 1).isTrue();
            assertThat(d.decidedByFallback()).isFalse();
            assertThat(d.rateLimit()).contains("\"g\";r=" + (19 - i) + ";t=" + ((i + 1 + 9) / 10));
        }
        LimitDecision rejected = check(node1, limits, keys);
        assertThat(rejected.allowed()).isFalse();
        assertThat(rejected.retryAfterSeconds()).isEqualTo(1);
        assertThat(rejected.rateLimit()).contains("\"g\";r=0;t=1");

        ticker.advance(Duration.ofMillis(99));
        assertThat(check(node1, limits, keys).allowed()).isFalse();
        ticker.advance(Duration.ofMillis(1));
        assertThat(check(node1, limits, keys).allowed()).isTrue();
        assertThat(check(node1, limits, keys).allowed()).isFalse();
        assertThat(node1.stats().redisErrors()).isZero();
        assertThat(node1.stats().rejectionsByRule()).containsEntry("orders/g", 3L);
    }

    @Test
    void luaGcra_underThreeTimesTheRate_for10SimulatedSeconds_admitsRateTimesTenPlusBurst() throws Exception {
        node1 = connectedNode();
        RouteLimits limits = Limits.of("rate_limits: [ { key: ip, rate: 50/s } ]");
        LimitKeys keys = Limits.keys("10.0.0.1", "");
        int allowed = 0;
        long step = 1_000_000_000L / 150;
        for (int i = 0; i < 1_500; i++) {
            if (check(node1, limits, keys).allowed()) {
                allowed++;
            }
            ticker.advanceNanos(step);
        }
        assertThat((double) allowed).isCloseTo(50 * 10 + 50, within(0.02 * 550));
    }

    @Test
    void twoNodesSharingOneRedisLimit_admitTogetherWhatOneLimitAllows() throws Exception {
        node1 = connectedNode();
        node2 = connectedNode();
        RouteLimits limits = Limits.of("rate_limits: [ { key: consumer, rate: 100/s, burst: 100 } ]");
        LimitKeys keys = Limits.keys("10.0.0.1", "acme");
        int allowed = 0;
        int offered = 0;
        // Each node offers 150/s for 10 simulated seconds: 3x the shared limit in total.
        for (int step = 0; step < 1_000; step++) {
            for (int i = 0; i < 3; i++) {
                RateLimiter node = (i % 2 == 0) == (step % 2 == 0) ? node1 : node2;
                offered++;
                if (check(node, limits, keys).allowed()) {
                    allowed++;
                }
            }
            ticker.advance(Duration.ofMillis(10));
        }
        assertThat(offered).isEqualTo(3_000);
        System.out.printf("two nodes on one Redis limit: %d of %d admitted (limit x 10 s + burst = 1100)%n",
                allowed, offered);
        assertThat((double) allowed).isCloseTo(100 * 10 + 100, within(0.05 * 1100));
        assertThat(node1.stats().fallbackDecisions() + node2.stats().fallbackDecisions()).isZero();
    }

    @Test
    void rejectionByOneGlobalRule_writesNothingForTheOthers() throws Exception {
        node1 = connectedNode();
        RouteLimits limits = Limits.of("""
                rate_limits:
                  - { key: ip, rate: 5/s, name: per-ip }
                  - { key: consumer, rate: 1/s, burst: 1, name: per-consumer }
                """);
        assertThat(check(node1, limits, Limits.keys("10.0.0.1", "a")).allowed()).isTrue();
        for (int i = 0; i < 20; i++) {
            LimitDecision d = check(node1, limits, Limits.keys("10.0.0.1", "a"));
            assertThat(d.allowed()).isFalse();
            assertThat(d.rejectedBy()).contains("per-consumer");
        }
        for (String consumer : List.of("b", "c", "d", "e")) {
            assertThat(check(node1, limits, Limits.keys("10.0.0.1", consumer)).allowed()).as(consumer).isTrue();
        }
        LimitDecision sixth = check(node1, limits, Limits.keys("10.0.0.1", "f"));
        assertThat(sixth.allowed()).isFalse();
        assertThat(sixth.rejectedBy()).contains("per-ip");
    }

    @Test
    void localAndGlobalRulesTogether_globalRejectionRefundsTheLocalRule() throws Exception {
        node1 = connectedNode();
        RouteLimits limits = Limits.of("""
                rate_limits:
                  - { key: ip, rate: 3/s, scope: local, name: local-ip }
                  - { key: consumer, rate: 1/s, burst: 1, name: global-consumer }
                """);
        assertThat(check(node1, limits, Limits.keys("10.0.0.1", "a")).allowed()).isTrue();
        for (int i = 0; i < 10; i++) {
            assertThat(check(node1, limits, Limits.keys("10.0.0.1", "a")).rejectedBy()).contains("global-consumer");
        }
        assertThat(check(node1, limits, Limits.keys("10.0.0.1", "b")).allowed()).isTrue();
        assertThat(check(node1, limits, Limits.keys("10.0.0.1", "c")).allowed()).isTrue();
        assertThat(check(node1, limits, Limits.keys("10.0.0.1", "d")).rejectedBy()).contains("local-ip");
    }

    @Test
    void redisKeys_expireWhenTheirStateIsSpent() throws Exception {
        node1 = connectedNode();
        RouteLimits limits = Limits.of("rate_limits: [ { key: consumer, rate: 10/s, burst: 5 } ]");
        check(node1, limits, Limits.keys("10.0.0.1", "acme"));
        check(node1, limits, Limits.keys("10.0.0.1", "acme"));
        @SuppressWarnings("unchecked")
        List<Object> keys = (List<Object>) redis.command("KEYS", "palisade:rl:*");
        assertThat(keys).hasSize(1);
        Object ttl = redis.command("PTTL", (String) keys.get(0));
        // The TAT runs 200 ms ahead; the key lives until then (plus a millisecond).
        assertThat((Long) ttl).isBetween(1L, 201L);
    }

    @Test
    void scriptCacheLost_isReloadedByItself_withoutFallingBack() throws Exception {
        node1 = connectedNode();
        RouteLimits limits = Limits.of("rate_limits: [ { key: consumer, rate: 10/s, burst: 2 } ]");
        LimitKeys keys = Limits.keys("10.0.0.1", "acme");
        assertThat(check(node1, limits, keys).allowed()).isTrue();
        assertThat(redis.command("SCRIPT", "FLUSH")).isEqualTo("OK");
        assertThat(check(node1, limits, keys).allowed()).isTrue();
        assertThat(check(node1, limits, keys).allowed()).isFalse();
        assertThat(node1.stats().fallbackActivations()).isZero();
        assertThat(node1.stats().redisErrors()).isZero();
    }

    @Test
    void localStoreSettings_neverTouchRedis() throws Exception {
        node1 = RateLimiter.create(RateLimitSettings.defaults(), ticker, WALL);
        RouteLimits limits = Limits.of("rate_limits: [ { key: consumer, rate: 10/s, burst: 1 } ]");
        assertThat(node1.checkNow("orders", limits, Phase.AFTER_AUTH, Limits.keys("10.0.0.1", "a"))).isPresent();
        assertThat(check(node1, limits, Limits.keys("10.0.0.1", "a")).allowed()).isFalse();
        assertThat((Long) redis.command("DBSIZE")).isZero();
        assertThat(node1.stats().fallbackActive()).isFalse();
    }

    @Test
    void reload_movesGlobalRulesOntoRedisAndBack_withoutLosingLocalState() throws Exception {
        node1 = RateLimiter.create(RateLimitSettings.defaults(), ticker, WALL);
        RouteLimits limits = Limits.of("""
                rate_limits:
                  - { key: consumer, rate: 10/s, burst: 3, name: g }
                  - { key: ip, rate: 10/s, burst: 2, scope: local, name: l }
                """);
        LimitKeys keys = Limits.keys("10.0.0.1", "acme");
        assertThat(check(node1, limits, keys).allowed()).isTrue();

        node1.update(Limits.settings("""
                store: redis
                redis: { address: %s, timeout: 5s }
                """.formatted(redis.address())));
        await().atMost(Duration.ofSeconds(20)).until(() -> !node1.stats().fallbackActive());
        assertThat(node1.checkNow("orders", limits, Phase.AFTER_AUTH, keys)).isEmpty();
        LimitDecision onRedis = check(node1, limits, keys);
        assertThat(onRedis.allowed()).isTrue();
        assertThat(onRedis.decidedByFallback()).isFalse();
        assertThat((Long) redis.command("DBSIZE")).isEqualTo(1);
        // The local rule kept its state across the reload: its burst of 2 is now spent.
        assertThat(check(node1, limits, keys).rejectedBy()).contains("l");

        node1.update(RateLimitSettings.defaults().withMaxKeys(1_000));
        assertThat(node1.checkNow("orders", limits, Phase.AFTER_AUTH, keys)).isPresent();
        assertThat(node1.stats().fallbackActive()).isFalse();
        assertThat(node1.stats().maxKeys()).isEqualTo(1_000);
    }
}
