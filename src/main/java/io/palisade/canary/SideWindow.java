package io.palisade.canary;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One version's requests over one step: written from every event loop at once without locks or waits (a
 * {@link LongAdder} and HdrHistogram's wait-free {@link Recorder}), read by one reader at a time under the judge's
 * lock.
 */
final class SideWindow {
    /** Latencies are kept in microseconds up to an hour; a longer request counts as an hour. */
    private static final long HIGHEST_MICROS = TimeUnit.HOURS.toMicros(1);
    /** Two significant digits: values within 1%, about 25 KB per histogram. */
    private static final int DIGITS = 2;

    private final LongAdder failures = new LongAdder();
    private final Recorder latency = new Recorder(1, HIGHEST_MICROS, DIGITS);
    // The reader's side, guarded by the judge's lock.
    private final Histogram total = new Histogram(1, HIGHEST_MICROS, DIGITS);
    private Histogram interval;

    void record(boolean failed, long totalNanos) {
        latency.recordValue(Math.min(HIGHEST_MICROS, Math.max(0, totalNanos / 1_000)));
        // After the latency, so that a reader, who sums failures before it takes the histogram, never sees more
        // failures than requests.
        if (failed) {
            failures.increment();
        }
    }

    /** The window so far; the histogram is the window's own, valid until the caller releases the judge's lock. */
    Sample read() {
        long failed = failures.sum();
        interval = latency.getIntervalHistogram(interval);
        total.add(interval);
        return new Sample(total.getTotalCount(), failed, total);
    }

    /** @param latencyMicros every counted request's total time, in microseconds */
    record Sample(long requests, long failures, Histogram latencyMicros) {
        Side side(String version) {
            double rate = requests == 0 ? 0 : (double) failures / requests;
            double p99 = requests == 0 ? 0 : latencyMicros.getValueAtPercentile(99.0) / 1_000.0;
            return new Side(version, requests, failures, rate, p99);
        }
    }
}
