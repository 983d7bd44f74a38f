package io.palisade.upstream;

import io.palisade.time.Ticker;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/** At most one warning per period; the next one that gets through says how many were suppressed. */
final class RateLimitedLog {
    private final Logger log;
    private final Ticker ticker;
    private final long periodNanos;
    private final AtomicLong last;
    private final AtomicLong suppressed = new AtomicLong();

    RateLimitedLog(Logger log, Ticker ticker, long periodNanos) {
        this.log = log;
        this.ticker = ticker;
        this.periodNanos = periodNanos;
        this.last = new AtomicLong(ticker.read() - periodNanos);
    }

    void warn(String message, Throwable cause) {
        long skipped = acquire();
        if (skipped >= 0) {
            log.warn(skipped == 0 ? message : message + " (" + skipped + " similar suppressed)", cause);
        }
    }

    /**
     * For a caller that formats its own line only when it is logged: -1 when a line went out within the period (this
     * one is counted as suppressed), else how many were suppressed since the last line.
     */
    long acquire() {
        long now = ticker.read();
        long prev = last.get();
        if (now - prev < periodNanos || !last.compareAndSet(prev, now)) {
            suppressed.incrementAndGet();
            return -1;
        }
        return suppressed.getAndSet(0);
    }
}
