package io.palisade.time;

import com.github.benmanes.caffeine.cache.Expiry;

/**
 * Caffeine expiry from each entry's own lifetime, in nanoseconds of the cache's ticker (give the cache
 * {@code ticker(ticker::read)} so tests move it with a {@code FakeTicker}).
 *
 * <pre>{@code
 * Caffeine.newBuilder().ticker(ticker::read)
 *         .expireAfter(CacheExpiry.afterAccess((LimitKey k, AtomicLong v) -> k.idleNanos()))   // idle entries leave
 *         .build();
 * }</pre>
 *
 * Not Caffeine's {@code Expiry.accessing} and {@code Expiry.writing}: they take a {@code Duration}, one object per
 * cache read on the request path.
 */
public final class CacheExpiry {
    /** An entry's lifetime in nanoseconds. */
    @FunctionalInterface
    public interface Lifetime<K, V> {
        long nanos(K key, V value);
    }

    private CacheExpiry() {}

    /** Expires an entry once it has gone unused for its lifetime: every read and write starts it again. */
    public static <K, V> Expiry<K, V> afterAccess(Lifetime<K, V> lifetime) {
        return new LifetimeExpiry<>(lifetime, true);
    }

    /** Expires an entry its lifetime after it was written; a read leaves the time it has left as it was. */
    public static <K, V> Expiry<K, V> afterWrite(Lifetime<K, V> lifetime) {
        return new LifetimeExpiry<>(lifetime, false);
    }

    private static final class LifetimeExpiry<K, V> implements Expiry<K, V> {
        private final Lifetime<K, V> lifetime;
        private final boolean readsRestart;

        LifetimeExpiry(Lifetime<K, V> lifetime, boolean readsRestart) {
            this.lifetime = lifetime;
            this.readsRestart = readsRestart;
        }

        @Override
        public long expireAfterCreate(K key, V value, long currentTime) {
            return lifetime.nanos(key, value);
        }

        @Override
        public long expireAfterUpdate(K key, V value, long currentTime, long currentDuration) {
            return lifetime.nanos(key, value);
        }

        @Override
        public long expireAfterRead(K key, V value, long currentTime, long currentDuration) {
            return readsRestart ? lifetime.nanos(key, value) : currentDuration;
        }
    }
}
