package io.palisade.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.FakeTicker;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Seed 001: a flood of distinct keys must not grow the limiter without bound. One million distinct client addresses
 * go into a table with a budget of 200,000 entries.
 */
class KeyTableBudgetTest {
    /** The documented heap budget per table entry (measured: about 245 bytes with IPv4 keys, key string included). */
    static final long BYTES_PER_ENTRY_BUDGET = 320;

    @Test
    void millionDistinctKeys_intoBudgetOf200k_staysWithinBudget_countsEvictions_andFitsTheHeapBudget() {
        FakeTicker ticker = new FakeTicker();
        RouteLimits limits = Limits.of("rate_limits: [ { key: ip, rate: 10/s, before_auth: true } ]");
        long before = usedHeapAfterGc();
        DefaultRateLimiter limiter = (DefaultRateLimiter) RateLimiter.local(
                RateLimitSettings.defaults().withMaxKeys(200_000), ticker);
        for (int i = 0; i < 1_000_000; i++) {
            String ip = "10." + (i >>> 16) + "." + ((i >>> 8) & 0xff) + "." + (i & 0xff);
            LimitDecision d = limiter.checkNow("orders", limits, Phase.BEFORE_AUTH, Limits.keys(ip, ""))
                    .orElseThrow();
            assertThat(d.allowed()).isTrue();
            if ((i & 0xffff) == 0) {
                ticker.advanceNanos(1); // time moves a little, far less than any key's idle time
            }
        }
        limiter.cleanUp();
        LimiterStats stats = limiter.stats();
        long after = usedHeapAfterGc();
        long size = stats.tableSize();
        assertThat(size).isLessThanOrEqualTo(200_000).isGreaterThan(150_000);
        assertThat(stats.evictions()).isEqualTo(1_000_000 - size);
        assertThat(stats.expirations()).isZero();
        long bytesPerEntry = (after - before) / size;
        System.out.printf("key table: %d entries, %d evictions, ~%d bytes/entry retained%n",
                size, stats.evictions(), bytesPerEntry);
        assertThat(bytesPerEntry).isLessThanOrEqualTo(BYTES_PER_ENTRY_BUDGET);
        Reference.reachabilityFence(limiter);
        limiter.close();
    }

    @Test
    void idleKeys_expireOnceTheirStateIsEmpty_andShrinkingTheBudgetEvicts() {
        FakeTicker ticker = new FakeTicker();
        RouteLimits limits = Limits.of("rate_limits: [ { key: ip, rate: 10/s, burst: 10 } ]");
        DefaultRateLimiter limiter = (DefaultRateLimiter) RateLimiter.local(RateLimitSettings.defaults(), ticker);
        for (int i = 0; i < 1_000; i++) {
            limiter.checkNow("orders", limits, Phase.AFTER_AUTH, Limits.keys("10.0.0." + i, ""));
        }
        limiter.cleanUp();
        assertThat(limiter.stats().tableSize()).isEqualTo(1_000);

        ticker.advance(Duration.ofMillis(999));
        limiter.cleanUp();
        assertThat(limiter.stats().tableSize()).as("still within the 1 s burst window").isEqualTo(1_000);

        // Caffeine's timer wheel expires in steps of about a second, so an empty entry may linger that much longer.
        ticker.advance(Duration.ofSeconds(3));
        limiter.cleanUp();
        assertThat(limiter.stats().tableSize()).isZero();
        assertThat(limiter.stats().expirations()).isEqualTo(1_000);
        assertThat(limiter.stats().evictions()).isZero();

        for (int i = 0; i < 1_000; i++) {
            limiter.checkNow("orders", limits, Phase.AFTER_AUTH, Limits.keys("10.0.1." + i, ""));
        }
        limiter.update(RateLimitSettings.defaults().withMaxKeys(100));
        limiter.cleanUp();
        assertThat(limiter.stats().tableSize()).isLessThanOrEqualTo(100);
        assertThat(limiter.stats().maxKeys()).isEqualTo(100);
        assertThat(limiter.stats().evictions()).isGreaterThanOrEqualTo(900);
        limiter.close();
    }

    private static long usedHeapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
