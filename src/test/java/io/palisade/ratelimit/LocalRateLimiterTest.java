package io.palisade.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.palisade.error.ErrorKind;
import io.palisade.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LocalRateLimiterTest {
    private final FakeTicker ticker = new FakeTicker();
    private final RateLimiter limiter = RateLimiter.local(RateLimitSettings.defaults(), ticker);

    @AfterEach
    void close() {
        limiter.close();
    }

    private LimitDecision check(RouteLimits limits, LimitKeys keys) {
        return limiter.checkNow("orders", limits, Phase.AFTER_AUTH, keys).orElseThrow();
    }

    private int offer(RouteLimits limits, double offeredPerSecond, Duration run, LimitKeys keys) {
        long step = Math.round(1e9 / offeredPerSecond);
        long requests = run.toNanos() / step;
        int allowed = 0;
        for (long i = 0; i < requests; i++) {
            if (check(limits, keys).allowed()) {
                allowed++;
            }
            ticker.advanceNanos(step);
        }
        return allowed;
    }

    @Test
    void clientOfferingThreeTimesTheRate_getsRateTimesTenPlusBurst_over10SimulatedSeconds() {
        RouteLimits limits = Limits.of("rate_limits: [ { key: consumer, rate: 100/s } ]");
        int allowed = offer(limits, 300, Duration.ofSeconds(10), Limits.keys("10.0.0.1", "acme"));
        assertThat((double) allowed).isCloseTo(100 * 10 + 100, within(0.02 * 1100));
    }

    @Test
    void largerBurst_addsExactlyTheBurstOnTopOfTheRate() {
        RouteLimits limits = Limits.of("rate_limits: [ { key: ip, rate: 100/s, burst: 200 } ]");
        int allowed = offer(limits, 300, Duration.ofSeconds(10), Limits.keys("10.0.0.1", ""));
        assertThat((double) allowed).isCloseTo(100 * 10 + 200, within(0.02 * 1200));
    }

    @Test
    void perMinuteRate_overTenSimulatedMinutes_isAccurateToo() {
        RouteLimits limits = Limits.of("rate_limits: [ { key: consumer, rate: 60/m, burst: 5 } ]");
        int allowed = offer(limits, 3, Duration.ofMinutes(10), Limits.keys("10.0.0.1", "acme"));
        assertThat((double) allowed).isCloseTo(60 * 10 + 5, within(0.02 * 605));
    }

    @Test
    void burst_isAdmittedAtOnce_thenOneRequestPerInterval() {
        RouteLimits limits = Limits.of("rate_limits: [ { key: ip, rate: 10/s, burst: 20, name: per-ip } ]");
        LimitKeys keys = Limits.keys("10.0.0.1", "");
        for (int i = 0; i < 20; i++) {
            LimitDecision d = check(limits, keys);
            assertThat(d.allowed()).as("request %d of the burst", i + 1).isTrue();
            assertThat(d.rateLimit()).contains("\"per-ip\";r=" + (19 - i) + ";t=" + ((i + 1 + 9) / 10));
        }
        LimitDecision rejected = check(limits, keys);
        assertThat(rejected.allowed()).isFalse();
        assertThat(rejected.rejection()).contains(ErrorKind.RATE_LIMITED);
        assertThat(rejected.retryAfterSeconds()).isEqualTo(1);
        assertThat(rejected.rejectedBy()).contains("per-ip");
        assertThat(rejected.rateLimit()).contains("\"per-ip\";r=0;t=1");
        assertThat(rejected.rateLimitPolicy()).contains("\"per-ip\";q=10;w=1;palisade-burst=20");

        ticker.advance(Duration.ofMillis(99));
        assertThat(check(limits, keys).allowed()).as("before one interval").isFalse();
        ticker.advance(Duration.ofMillis(1));
        assertThat(check(limits, keys).allowed()).as("after one interval").isTrue();
        assertThat(check(limits, keys).allowed()).isFalse();

        ticker.advance(Duration.ofSeconds(2));
        for (int i = 0; i < 20; i++) {
            assertThat(check(limits, keys).allowed()).as("burst refilled, request %d", i + 1).isTrue();
        }
        assertThat(check(limits, keys).allowed()).isFalse();
    }

    @Test
    void retryAfter_isTheWaitOfTheSlowestRejectingRule() {
        RouteLimits limits = Limits.of("rate_limits: [ { key: consumer, rate: 1/m, burst: 1, name: slow } ]");
        LimitKeys keys = Limits.keys("10.0.0.1", "acme");
        assertThat(check(limits, keys).allowed()).isTrue();
        ticker.advance(Duration.ofSeconds(15));
        LimitDecision d = check(limits, keys);
        assertThat(d.allowed()).isFalse();
        assertThat(d.retryAfterSeconds()).isEqualTo(45);
    }

    @Test
    void threadsHammeringOneKey_withAFrozenClock_getExactlyTheBurst() throws Exception {
        RouteLimits limits = Limits.of("rate_limits: [ { key: consumer, rate: 1000/s, burst: 777 } ]");
        LimitKeys keys = Limits.keys("10.0.0.1", "acme");
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Callable<Integer> hammer = () -> {
                    start.await();
                    int allowed = 0;
                    for (int i = 0; i < 5_000; i++) {
                        if (check(limits, keys).allowed()) {
                            allowed++;
                        }
                    }
                    return allowed;
                };
                results.add(pool.submit(hammer));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : results) {
                total += f.get(1, TimeUnit.MINUTES);
            }
            assertThat(total).isEqualTo(777);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void threadsOnSeveralRules_withAFrozenClock_neverLoseOrLeakATokenThroughRefunds() throws Exception {
        // 8 consumers behind one IP: the per-consumer rule rejects most, and every rejection refunds the IP rule,
        // so the IP budget goes exactly to admitted requests.
        RouteLimits limits = Limits.of("""
                rate_limits:
                  - { key: ip, rate: 100/s, burst: 100 }
                  - { key: consumer, rate: 10/s, burst: 10 }
                """);
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                results.add(pool.submit(() -> {
                    start.await();
                    int allowed = 0;
                    for (int i = 0; i < 4_000; i++) {
                        String consumer = "c" + ((i + id) % 8);
                        if (check(limits, Limits.keys("10.0.0.1", consumer)).allowed()) {
                            allowed++;
                        }
                    }
                    return allowed;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : results) {
                total += f.get(1, TimeUnit.MINUTES);
            }
            assertThat(total).as("8 consumers x burst 10").isEqualTo(80);
            // The IP rule was charged only for admitted requests: 20 tokens left for two new consumers.
            int more = 0;
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < 10; i++) {
                    if (check(limits, Limits.keys("10.0.0.1", "new" + c)).allowed()) {
                        more++;
                    }
                }
            }
            assertThat(more).isEqualTo(20);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void requestRejectedByOneRule_costsTheOtherRulesNothing() {
        RouteLimits limits = Limits.of("""
                rate_limits:
                  - { key: ip, rate: 5/s, name: per-ip }
                  - { key: consumer, rate: 1/s, burst: 1, name: per-consumer }
                """);
        assertThat(check(limits, Limits.keys("10.0.0.1", "a")).allowed()).isTrue();
        for (int i = 0; i < 50; i++) {
            LimitDecision d = check(limits, Limits.keys("10.0.0.1", "a"));
            assertThat(d.allowed()).isFalse();
            assertThat(d.rejectedBy()).contains("per-consumer");
        }
        for (String consumer : List.of("b", "c", "d", "e")) {
            assertThat(check(limits, Limits.keys("10.0.0.1", consumer)).allowed()).as(consumer).isTrue();
        }
        LimitDecision sixth = check(limits, Limits.keys("10.0.0.1", "f"));
        assertThat(sixth.allowed()).isFalse();
        assertThat(sixth.rejectedBy()).contains("per-ip");
        assertThat(limiter.stats().rejectionsByRule())
                .isEqualTo(Map.of("orders/per-consumer", 50L, "orders/per-ip", 1L));
    }

    @Test
    void rateLimitHeader_reportsTheRuleClosestToExhaustion_andPolicyListsAll() {
        RouteLimits limits = Limits.of("""
                rate_limits:
                  - { key: ip, rate: 100/s, burst: 100, name: per-ip, before_auth: true }
                  - { key: consumer, rate: 10/s, name: per-second }
                  - { key: consumer, rate: 1000/h, burst: 40, name: per-hour }
                """);
        LimitKeys keys = Limits.keys("10.0.0.1", "acme");
        LimitDecision before = limiter.checkNow("orders", limits, Phase.BEFORE_AUTH, keys).orElseThrow();
        LimitDecision first = check(limits, keys);
        assertThat(first.rateLimit()).contains("\"per-second\";r=9;t=1");
        for (int i = 0; i < 8; i++) {
            check(limits, keys);
            ticker.advance(Duration.ofMillis(100));
        }
        // After 10 requests in 0.8 s: per-second has 8 of 10 (80%) left, per-hour 30 of 40 (75%).
        LimitDecision later = check(limits, keys);
        assertThat(later.rateLimit()).hasValueSatisfying(v -> assertThat(v).startsWith("\"per-hour\";r=30;"));
        assertThat(later.rateLimitPolicy()).contains("\"per-ip\";q=100;w=1, \"per-second\";q=10;w=1, "
                + "\"per-hour\";q=1000;w=3600;palisade-burst=40");
        assertThat(before.rateLimit()).contains("\"per-ip\";r=99;t=1");
        assertThat(before.mostRestrictive(later)).isSameAs(later);
    }

    @Test
    void phases_checkOnlyTheirOwnRules() {
        RouteLimits limits = Limits.of("""
                rate_limits:
                  - { key: ip, rate: 1/s, burst: 1, before_auth: true }
                """);
        LimitKeys keys = Limits.keys("10.0.0.1", "acme");
        for (int i = 0; i < 3; i++) {
            LimitDecision after = limiter.checkNow("orders", limits, Phase.AFTER_AUTH, keys).orElseThrow();
            assertThat(after.allowed()).isTrue();
            assertThat(after.rateLimit()).isEmpty();
            assertThat(after.rateLimitPolicy()).contains("\"ip-1/s\";q=1;w=1");
        }
        assertThat(limiter.checkNow("orders", limits, Phase.BEFORE_AUTH, keys).orElseThrow().allowed()).isTrue();
        assertThat(limiter.checkNow("orders", limits, Phase.BEFORE_AUTH, keys).orElseThrow().allowed()).isFalse();
    }

    @Test
    void anonymousRequests_underAConsumerRule_areCountedPerClientAddress() {
        RouteLimits limits = Limits.of("rate_limits: [ { key: consumer, rate: 1/s, burst: 1 } ]");
        assertThat(check(limits, Limits.keys("10.0.0.1", "")).allowed()).isTrue();
        assertThat(check(limits, Limits.keys("10.0.0.1", "")).allowed()).isFalse();
        assertThat(check(limits, Limits.keys("10.0.0.2", "")).allowed()).isTrue();
        assertThat(check(limits, Limits.keys("10.0.0.1", "10.0.0.1")).allowed())
                .as("a consumer whose id equals an address has its own bucket").isTrue();
    }

    @Test
    void compositeKeys_separateHeaderValues_andHugeValuesStayBoundedButDistinct() {
        RouteLimits limits = Limits.of("rate_limits: [ { key: [consumer, header:X-Region], rate: 1/s, burst: 1 } ]");
        String hugeA = "a".repeat(8_000);
        String hugeB = "a".repeat(7_999) + "b";
        LimitKeys eu = LimitKeys.of("10.0.0.1", "acme", "/", n -> n.toString().equals("x-region") ? "eu" : null);
        LimitKeys us = LimitKeys.of("10.0.0.1", "acme", "/", n -> n.toString().equals("x-region") ? "us" : null);
        LimitKeys a = LimitKeys.of("10.0.0.1", "acme", "/", n -> hugeA);
        LimitKeys b = LimitKeys.of("10.0.0.1", "acme", "/", n -> hugeB);
        assertThat(check(limits, eu).allowed()).isTrue();
        assertThat(check(limits, us).allowed()).isTrue();
        assertThat(check(limits, eu).allowed()).isFalse();
        assertThat(check(limits, a).allowed()).isTrue();
        assertThat(check(limits, b).allowed()).isTrue();
        assertThat(check(limits, a).allowed()).isFalse();

        LimitKey key = LimitKey.of("b", limits.rules().get(0), 1, "orders", a);
        assertThat(key.redisKey().length()).isLessThan(100);
    }

    @Test
    void anAllowedDecision_isServedAgainWhileItsNumbersStay_andNotOnceTheyChange() {
        RouteLimits limits = Limits.of("rate_limits: [ { key: consumer, rate: 10/s } ]");
        LimitKeys acme = Limits.keys("10.0.0.1", "acme");
        LimitDecision first = check(limits, acme);
        assertThat(first.rateLimit()).contains("\"consumer-10/s\";r=9;t=1");
        ticker.advance(Duration.ofSeconds(1));
        assertThat(check(limits, acme)).as("a full bucket again: the same numbers").isSameAs(first);

        LimitDecision second = check(limits, acme);
        assertThat(second.rateLimit()).contains("\"consumer-10/s\";r=8;t=1");
        assertThat(check(limits, Limits.keys("10.0.0.1", "bob")).rateLimit())
                .as("another consumer's full bucket").contains("\"consumer-10/s\";r=9;t=1");
        for (int i = 0; i < 8; i++) {
            check(limits, acme);
        }
        LimitDecision refused = check(limits, acme);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.rateLimit()).contains("\"consumer-10/s\";r=0;t=1");
    }

    @Test
    void theKeyTable_keepsACopyOfTheLookupKey_neverTheThreadsProbe() {
        KeyTable table = new KeyTable(100, ticker);
        RateRule rule = Limits.of("rate_limits: [ { key: consumer, rate: 10/s } ]").rules().get(0);
        LimitKey probe = LimitKey.probe();
        var acme = table.cell(probe.set("b", rule, 1_000_000_000L, "orders", Limits.keys("10.0.0.1", "acme")));
        var bob = table.cell(probe.set("b", rule, 1_000_000_000L, "orders", Limits.keys("10.0.0.1", "bob")));
        assertThat(bob).isNotSameAs(acme);
        assertThat(table.cell(LimitKey.of("b", rule, 1_000_000_000L, "orders", Limits.keys("10.0.0.1", "acme"))))
                .isSameAs(acme);
        assertThat(table.cell(LimitKey.of("b", rule, 1_000_000_000L, "orders", Limits.keys("10.0.0.1", "bob"))))
                .isSameAs(bob);
        table.cleanUp();
        assertThat(table.size()).isEqualTo(2);
    }

    @Test
    void routeWithoutRules_isUnlimitedAndAddsNoHeaders() {
        LimitDecision d = check(RouteLimits.none(), Limits.keys("10.0.0.1", ""));
        assertThat(d.allowed()).isTrue();
        assertThat(d.rateLimitPolicy()).isEmpty();
        assertThat(d.rateLimit()).isEmpty();
        assertThat(limiter.check("orders", RouteLimits.none(), Phase.BEFORE_AUTH, Limits.keys("10.0.0.1", ""))
                .toCompletableFuture().getNow(null)).isSameAs(LimitDecision.unlimited());
    }

    @Test
    void asyncCheck_onTheLocalStore_isAlreadyComplete() {
        RouteLimits limits = Limits.of("rate_limits: [ { key: ip, rate: 1/s, burst: 1 } ]");
        LimitKeys keys = Limits.keys("10.0.0.1", "");
        assertThat(limiter.check("orders", limits, Phase.AFTER_AUTH, keys).toCompletableFuture().getNow(null)
                .allowed()).isTrue();
        assertThat(limiter.check("orders", limits, Phase.AFTER_AUTH, keys).toCompletableFuture().getNow(null)
                .allowed()).isFalse();
    }

    @Test
    void sameRuleOnTwoRoutes_countsSeparately() {
        RouteLimits limits = Limits.of("rate_limits: [ { key: ip, rate: 1/s, burst: 1 } ]");
        LimitKeys keys = Limits.keys("10.0.0.1", "");
        assertThat(limiter.checkNow("orders", limits, Phase.AFTER_AUTH, keys).orElseThrow().allowed()).isTrue();
        assertThat(limiter.checkNow("users", limits, Phase.AFTER_AUTH, keys).orElseThrow().allowed()).isTrue();
        assertThat(limiter.checkNow("orders", limits, Phase.AFTER_AUTH, keys).orElseThrow().allowed()).isFalse();
    }
}
