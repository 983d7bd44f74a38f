package io.palisade.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.palisade.time.CacheExpiry;
import io.palisade.time.Ticker;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The local buckets: {@link LimitKey} to TAT, bounded by {@code max_keys}.
 *
 * <p>Caffeine, because it gives the two properties the limiter needs without a lock on the read path:
 * <ul>
 *   <li>a hard entry budget ({@code maximumSize}, W-TinyLFU): a flood of one-off keys (random IPs, paths, header
 *       values) competes for admission against established keys and mostly loses, so busy tenants keep their state;</li>
 *   <li>per-entry expiry: an entry expires once it has been unused for its rule's burst tolerance, after which its TAT
 *       is certainly in the past and it carries no state, so idle keys leave first and dropping them changes no
 *       decision.</li>
 * </ul>
 * An entry evicted for size while its TAT is still ahead loses that state (the key gets a fresh burst); size
 * {@code max_keys} above the number of keys active within the longest rule's burst window to avoid it. Evictions are
 * counted. Caffeine may exceed the budget briefly, by at most its write buffer, until its maintenance catches up.
 */
final class KeyTable {
    private static final Function<LimitKey, AtomicLong> NEW_CELL = k -> new AtomicLong(Gcra.EMPTY);

    private final Cache<LimitKey, AtomicLong> cells;
    private final LongAdder evictions = new LongAdder();
    private final LongAdder expirations = new LongAdder();

    KeyTable(long maxKeys, Ticker ticker) {
        this.cells = Caffeine.newBuilder()
                .maximumSize(maxKeys)
                .expireAfter(CacheExpiry.afterAccess((LimitKey k, AtomicLong v) -> k.idleNanos()))
                .ticker(ticker::read)
                // Maintenance (draining the read buffer, evicting, expiring) runs on the thread that triggers it, a
                // few dozen entries at a time, under a lock Caffeine only tries. By default it is handed to
                // ForkJoinPool.commonPool every few reads of a hot key: a profile of the policy path had three
                // quarters of this table's lookup time in scheduling that task, and each one wakes a pool thread,
                // on a pinned gateway onto the event loop's own core.
                .executor(Runnable::run)
                .evictionListener((LimitKey k, AtomicLong v, RemovalCause cause) -> {
                    if (cause == RemovalCause.EXPIRED) {
                        expirations.increment();
                    } else {
                        evictions.increment();
                    }
                })
                .build();
    }

    /**
     * The key's cell, created empty when absent. {@code key} may be a {@link LimitKey#probe()}: it is only looked up
     * with, and a copy is what goes into the table.
     */
    AtomicLong cell(LimitKey key) {
        AtomicLong c = cells.getIfPresent(key);
        return c != null ? c : cells.get(key.copy(), NEW_CELL);
    }

    /** The key's TAT, {@link Gcra#EMPTY} when absent; creates nothing. */
    long peek(LimitKey key) {
        AtomicLong c = cells.getIfPresent(key);
        return c == null ? Gcra.EMPTY : c.get();
    }

    void resize(long maxKeys) {
        cells.policy().eviction().ifPresent(e -> e.setMaximum(maxKeys));
    }

    long size() {
        return cells.estimatedSize();
    }

    long maxKeys() {
        return cells.policy().eviction().map(e -> e.getMaximum()).orElse(Long.MAX_VALUE);
    }

    /** Entries dropped for the size budget. */
    long evictions() {
        return evictions.sum();
    }

    /** Entries dropped because they were idle past their rule's tolerance (state already empty). */
    long expirations() {
        return expirations.sum();
    }

    /** Runs pending maintenance now (evictions, expirations); off the event loop only. */
    void cleanUp() {
        cells.cleanUp();
    }
}
