package io.palisade.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.palisade.testing.RedisServer;
import io.palisade.time.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Redis faults with a real server and the real clock (Lettuce's deadlines run on real time): killed, paused, slow, and
 * absent at start. In each, decisions keep coming without an exception, global rules are enforced at this node's
 * share (never unlimited), the fallback shows in the stats, and the limiter returns to Redis by itself.
 */
class RedisFallbackTest {
    /** 10 per minute over 2 nodes: the local share is 5 per minute, burst 5, so a short loop sees exactly 5. */
    private static final RouteLimits LIMITS = Limits.of("""
            rate_limits:
              - { key: consumer, rate: 10/m, burst: 10, name: global }
            """);

    private RedisServer redis;
    private RateLimiter limiter;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
    }

    @AfterEach
    void stop() {
        if (limiter != null) {
            limiter.close();
        }
        redis.close();
    }

    private RateLimiter limiter(String address, String timeout) {
        return RateLimiter.create(Limits.settings("""
                store: redis
                redis: { address: %s, timeout: %s, probe_interval: 100ms }
                nodes: 2
                """.formatted(address, timeout)), Ticker.system(), Clock.systemUTC());
    }

    private RateLimiter connected(String timeout) {
        RateLimiter l = limiter(redis.address(), timeout);
        await().atMost(Duration.ofSeconds(20)).until(() -> !l.stats().fallbackActive());
        return l;
    }

    /** One check through the async API; fails the test if the stage fails or never completes. */
    private static LimitDecision check(RateLimiter l, String consumer) throws Exception {
        CompletableFuture<LimitDecision> f = l.check("orders", LIMITS, Phase.AFTER_AUTH,
                Limits.keys("10.0.0.1", consumer)).toCompletableFuture();
        return f.get(30, TimeUnit.SECONDS);
    }

    /** Checks until one is decided by the fallback (the first may still be on its way to a dying Redis). */
    private static void awaitFallback(RateLimiter l) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
            LimitDecision d = check(l, "probe-" + System.nanoTime());
            return d.decidedByFallback() && l.stats().fallbackActive();
        });
    }

    /** Checks until one is decided by Redis again: recovery needs traffic (probes ride on checks), never a restart. */
    private static void awaitRecovery(RateLimiter l) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            LimitDecision d = check(l, "probe-" + System.nanoTime());
            return !d.decidedByFallback() && !l.stats().fallbackActive();
        });
    }

    /** In fallback a fresh consumer gets exactly the share's burst (10 / 2 nodes), synchronously too. */
    private static void assertEnforcedAtLocalShare(RateLimiter l, String consumer) throws Exception {
        int allowed = 0;
        for (int i = 0; i < 20; i++) {
            LimitDecision d = i % 2 == 0 ? check(l, consumer)
                    : l.checkNow("orders", LIMITS, Phase.AFTER_AUTH, Limits.keys("10.0.0.1", consumer)).orElseThrow();
            assertThat(d.decidedByFallback()).isTrue();
            if (d.allowed()) {
                allowed++;
            } else {
                assertThat(d.retryAfterSeconds()).isPositive();
            }
        }
        assertThat(allowed).as("share of a 10/m global limit on 2 nodes").isEqualTo(5);
    }

    @Test
    void redisKilled_fallsBackToTheLocalShare_andReturnsWhenRestarted() throws Exception {
        limiter = connected("200ms");
        assertThat(check(limiter, "warm").decidedByFallback()).isFalse();

        redis.kill();
        awaitFallback(limiter);
        assertEnforcedAtLocalShare(limiter, "during-outage");
        LimiterStats stats = limiter.stats();
        assertThat(stats.fallbackActive()).isTrue();
        assertThat(stats.fallbackActivations()).isEqualTo(1);
        assertThat(stats.redisErrors()).isPositive();
        assertThat(stats.fallbackDecisions()).isPositive();

        redis.restart();
        awaitRecovery(limiter);
        // The restarted Redis has no script cache: EVALSHA's NOSCRIPT is answered by EVAL.
        LimitDecision d = check(limiter, "after-recovery");
        assertThat(d.allowed()).isTrue();
        assertThat(d.decidedByFallback()).isFalse();
        assertThat(d.rateLimit()).contains("\"global\";r=9;t=6");
    }

    @Test
    void redisPausedLongerThanTheDeadline_fallsBack_andReturnsAfterThePause() throws Exception {
        limiter = connected("200ms");
        assertThat(redis.command("CLIENT", "PAUSE", "2000")).isEqualTo("OK");
        awaitFallback(limiter);
        assertEnforcedAtLocalShare(limiter, "during-pause");
        awaitRecovery(limiter);
        assertThat(limiter.stats().fallbackActivations()).isEqualTo(1);
    }

    @Test
    void redisSlowerThanTheDeadline_fallsBack_andReturns() throws Exception {
        limiter = connected("200ms");
        redis.send("DEBUG", "SLEEP", "1.5");
        awaitFallback(limiter);
        assertEnforcedAtLocalShare(limiter, "during-sleep");
        awaitRecovery(limiter);
    }

    @Test
    void redisSlowButWithinTheDeadline_isStillUsed() throws Exception {
        limiter = connected("10s");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        redis.send("DEBUG", "SLEEP", "0.3");
        // Sent while Redis sleeps (or just after): answered late but within the 10 s deadline.
        for (int i = 0; i < 10; i++) {
            try {
                LimitDecision d = check(limiter, "slow");
                assertThat(d.decidedByFallback()).isFalse();
            } catch (Exception e) {
                failure.set(e);
            }
        }
        assertThat(failure.get()).isNull();
        assertThat(limiter.stats().fallbackActive()).isFalse();
        assertThat(limiter.stats().redisErrors()).isZero();
        assertThat(limiter.stats().rejectionsByRule()).doesNotContainKey("orders/global");
    }

    @Test
    void scriptLoadRefusedAtStart_fallsBackWithOneWarning_andMovesToRedisOnItsOwn() throws Exception {
        Logger storeLogger = (Logger) LoggerFactory.getLogger(RedisStore.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        storeLogger.addAppender(logs);
        // Connects and answers PING, but SCRIPT LOAD is an unknown command: the start fails after the connect.
        try (RedisServer noScript = RedisServer.start(RedisServer.freePort(),
                List.of("--rename-command", "SCRIPT", "palisade-test-no-script"))) {
            limiter = limiter(noScript.address(), "200ms");
            await().atMost(Duration.ofSeconds(20)).until(() -> limiter.stats().redisErrors() > 0);
            assertThat(limiter.stats().fallbackActive()).isTrue();
            assertThat(limiter.stats().fallbackActivations()).isEqualTo(1);
            List<ILoggingEvent> warnings;
            synchronized (logs) { // AppenderBase appends under the appender's own lock
                warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
            }
            assertThat(warnings).singleElement().satisfies(e -> assertThat(e.getFormattedMessage())
                    .contains("global limits enforced locally at this node's share").contains("SCRIPT"));

            // Probes ride on checks; once PING answers, checks go to Redis (EVALSHA's NOSCRIPT is answered by EVAL).
            awaitRecovery(limiter);
            assertThat(check(limiter, "on-redis").decidedByFallback()).isFalse();
            assertThat(limiter.stats().fallbackActivations()).isEqualTo(1);
        } finally {
            storeLogger.detachAppender(logs);
        }
    }

    @Test
    void redisDownAtStart_decidesLocally_andConnectsWhenItComesUp() throws Exception {
        int port = RedisServer.freePort();
        limiter = limiter("127.0.0.1:" + port, "200ms");
        assertEnforcedAtLocalShare(limiter, "before-redis");
        await().atMost(Duration.ofSeconds(10)).until(() -> limiter.stats().redisErrors() > 0);
        assertThat(limiter.stats().fallbackActive()).isTrue();

        try (RedisServer late = RedisServer.start(port)) {
            assertThat(late.port()).isEqualTo(port);
            awaitRecovery(limiter);
            assertThat(check(limiter, "on-redis").decidedByFallback()).isFalse();
        }
    }
}
