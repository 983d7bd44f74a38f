package io.palisade.time;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.palisade.testing.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CacheExpiryTest {
    private final FakeTicker ticker = new FakeTicker();

    /** Each value is its own lifetime in seconds. */
    private Cache<String, Integer> cache(Expiry<String, Integer> expiry) {
        return Caffeine.newBuilder().ticker(ticker::read).executor(Runnable::run).expireAfter(expiry).build();
    }

    private static long seconds(int s) {
        return Duration.ofSeconds(s).toNanos();
    }

    @Test
    void afterAccess_aReadStartsTheLifetimeAgain_soOnlyIdleEntriesLeave() {
        Cache<String, Integer> c = cache(CacheExpiry.afterAccess((String k, Integer v) -> seconds(v)));
        c.put("k", 10);
        ticker.advance(Duration.ofSeconds(6));
        assertThat(c.getIfPresent("k")).isEqualTo(10);
        ticker.advance(Duration.ofSeconds(6));
        assertThat(c.getIfPresent("k")).isEqualTo(10);
        ticker.advance(Duration.ofSeconds(10));
        assertThat(c.getIfPresent("k")).isNull();
    }

    @Test
    void afterWrite_aReadLeavesTheTimeLeft_aWriteStartsItAgain_withTheNewValuesLifetime() {
        Cache<String, Integer> c = cache(CacheExpiry.afterWrite((String k, Integer v) -> seconds(v)));
        c.put("k", 10);
        ticker.advance(Duration.ofSeconds(6));
        assertThat(c.getIfPresent("k")).isEqualTo(10);
        ticker.advance(Duration.ofSeconds(4));
        assertThat(c.getIfPresent("k")).isNull();
        c.put("k", 10);
        ticker.advance(Duration.ofSeconds(9));
        c.put("k", 3);
        ticker.advance(Duration.ofSeconds(2));
        assertThat(c.getIfPresent("k")).isEqualTo(3);
        ticker.advance(Duration.ofSeconds(1));
        assertThat(c.getIfPresent("k")).isNull();
    }
}
