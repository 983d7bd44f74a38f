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
        long now = ticker.read();
        long prev = last.get();
        if (now - prev < periodNanos || !last.compareAndSet(prev, now)) {
            suppressed.incrementAndGet();
            return;
        }
        long skipped = suppressed.getAndSet(0);
        log.warn(skipped == 0 ? message : message + " (" + skipped + " similar suppressed)", cause);
    }
}
