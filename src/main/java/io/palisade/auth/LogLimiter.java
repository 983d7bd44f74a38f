package io.palisade.auth;

import io.palisade.time.Ticker;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs a repeated warning at most once per interval per key, with the count of those suppressed, so a dead auth
 * dependency produces a line every few seconds instead of one per request.
 */
final class LogLimiter {
    private static final long NEVER = Long.MIN_VALUE;
    private static final int MAX_KEYS = 1024;

    private final Logger log;
    private final Ticker ticker;
    private final long intervalNanos;
    private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();

    private static final class Slot {
        final AtomicLong last = new AtomicLong(NEVER);
        final AtomicLong suppressed = new AtomicLong();
    }

    LogLimiter(Logger log, Ticker ticker, Duration interval) {
        this.log = log;
        this.ticker = ticker;
        this.intervalNanos = interval.toNanos();
    }

    void warn(String key, String message, Throwable cause) {
        if (slots.size() >= MAX_KEYS && !slots.containsKey(key)) {
            key = "other";
        }
        Slot slot = slots.computeIfAbsent(key, k -> new Slot());
        long now = ticker.read();
        long last = slot.last.get();
        if (last != NEVER && now - last < intervalNanos) {
            slot.suppressed.incrementAndGet();
            return;
        }
        if (!slot.last.compareAndSet(last, now)) {
            slot.suppressed.incrementAndGet();
            return;
        }
        long skipped = slot.suppressed.getAndSet(0);
        String suffix = skipped > 0 ? " (" + skipped + " similar suppressed)" : "";
        if (cause != null) {
            log.warn("{}{}: {}", message, suffix, cause.toString());
        } else {
            log.warn("{}{}", message, suffix);
        }
    }
}
