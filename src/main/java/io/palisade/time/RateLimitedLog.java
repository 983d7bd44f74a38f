package io.palisade.time;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A log line that would repeat (a dead auth dependency, a listener that throws on every event, a failure on every
 * request) written at most once per period per key; the next line that gets through says how many were suppressed.
 * So a failure that hits every request writes a line every few seconds instead of flooding the log, and a second,
 * different failure (another key) is not hidden behind the first. Thread-safe; time comes from the injected
 * {@link Ticker}.
 *
 * <pre>{@code
 * RateLimitedLog failures = RateLimitedLog.every(Duration.ofSeconds(10), LOG, ticker);
 * failures.warn("endpoint state listener failed", e);                 // one stream of lines
 * failures.warn("fetch:" + name, name + ": key set fetch failed", null); // one stream per key
 * }</pre>
 *
 * A cause is logged with its stack trace: pass null where the message already says all there is (a timeout).
 */
public final class RateLimitedLog {
    /** Keys beyond this many share one stream, so keys made of request data cannot grow the map without bound. */
    static final int MAX_KEYS = 1024;
    static final String OTHER_KEY = "other";
    private static final long NEVER = Long.MIN_VALUE;

    private final Logger log;
    private final Ticker ticker;
    private final long periodNanos;
    private final Stream unkeyed = new Stream();
    private final ConcurrentHashMap<String, Stream> keyed = new ConcurrentHashMap<>();

    /** The last line of one stream and what was suppressed since. */
    private static final class Stream {
        final AtomicLong last = new AtomicLong(NEVER);
        final AtomicLong suppressed = new AtomicLong();
    }

    private RateLimitedLog(Logger log, Ticker ticker, long periodNanos) {
        this.log = log;
        this.ticker = ticker;
        this.periodNanos = periodNanos;
    }

    /** Lines to {@code log}, each stream at most once per {@code period} of {@code ticker}'s time. */
    public static RateLimitedLog every(Duration period, Logger log, Ticker ticker) {
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period: " + period + " (expected: > 0)");
        }
        return new RateLimitedLog(log, ticker, period.toNanos());
    }

    /** A warning on the one stream without a key. */
    public void warn(String message, Throwable cause) {
        emit(unkeyed, false, message, cause);
    }

    /**
     * Whether a warning on the stream without a key would be written now, for a caller that would rather not build
     * its message for nothing; a warning that is not due is counted as suppressed here.
     */
    public boolean due() {
        long last = unkeyed.last.get();
        if (last != NEVER && ticker.read() - last < periodNanos) {
            unkeyed.suppressed.incrementAndGet();
            return false;
        }
        return true;
    }

    /** A warning on {@code key}'s stream. */
    public void warn(String key, String message, Throwable cause) {
        emit(stream(key), false, message, cause);
    }

    /** An error on the one stream without a key. */
    public void error(String message, Throwable cause) {
        emit(unkeyed, true, message, cause);
    }

    private Stream stream(String key) {
        Stream s = keyed.get(key);
        if (s != null) {
            return s;
        }
        return keyed.computeIfAbsent(keyed.size() >= MAX_KEYS ? OTHER_KEY : key, k -> new Stream());
    }

    private void emit(Stream stream, boolean error, String message, Throwable cause) {
        long now = ticker.read();
        long last = stream.last.get();
        if (last != NEVER && now - last < periodNanos || !stream.last.compareAndSet(last, now)) {
            stream.suppressed.incrementAndGet();
            return;
        }
        long skipped = stream.suppressed.getAndSet(0);
        String line = skipped == 0 ? message : message + " (" + skipped + " similar suppressed)";
        if (error) {
            log.error(line, cause);
        } else {
            log.warn(line, cause);
        }
    }
}
