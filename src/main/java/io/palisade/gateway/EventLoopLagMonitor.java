package io.palisade.gateway;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.palisade.metrics.GatewayMetrics;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures how late a task scheduled on each data event loop runs: a loop that is blocked (by a slow filter, a blocking
 * call, a huge batch) shows up as lag. Exported as {@code palisade_event_loop_lag_seconds} (the latest, per loop) and
 * {@code palisade_event_loop_lag_max_seconds} (the worst since start), which the hung-upstream drill checks.
 */
final class EventLoopLagMonitor {
    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final AtomicLong maxLagNanos = new AtomicLong();
    private final long[] lastLag;
    /** When each loop's pending probe is due ({@link System#nanoTime}): a blocked loop never runs it. */
    private final long[] pendingDue;
    private volatile boolean stopped;

    EventLoopLagMonitor(EventLoopGroup group, GatewayMetrics metrics) {
        int n = 0;
        for (EventExecutor ignored : group) {
            n++;
        }
        lastLag = new long[n];
        pendingDue = new long[n];
        int i = 0;
        for (EventExecutor loop : group) {
            schedule(loop, i++);
        }
        metrics.gauge("palisade_event_loop_lag_seconds", "How late the latest probe task ran, per data event loop.",
                cb -> {
                    for (int k = 0; k < lastLag.length; k++) {
                        cb.call(lastLag[k] / 1e9, Integer.toString(k));
                    }
                }, "loop");
        metrics.gauge("palisade_event_loop_lag_max_seconds", "The worst probe lag on any data event loop since start.",
                cb -> cb.call(maxLagNanos.get() / 1e9));
    }

    private void schedule(EventExecutor loop, int index) {
        if (stopped || loop.isShuttingDown()) {
            return;
        }
        long due = System.nanoTime() + PERIOD_NANOS;
        pendingDue[index] = due;
        loop.schedule(() -> {
            long lag = Math.max(0, System.nanoTime() - due);
            lastLag[index] = lag;
            maxLagNanos.accumulateAndGet(lag, Math::max);
            schedule(loop, index);
        }, PERIOD_NANOS, TimeUnit.NANOSECONDS);
    }

    /**
     * The worst lag of any loop now: its latest probe's, or how overdue its pending probe is (a loop blocked for good
     * never runs it, so its last figure alone would look fine).
     */
    double worstNowSeconds() {
        long now = System.nanoTime();
        long worst = 0;
        for (int k = 0; k < lastLag.length; k++) {
            worst = Math.max(worst, Math.max(lastLag[k], now - pendingDue[k]));
        }
        return worst / 1e9;
    }

    void stop() {
        stopped = true;
    }
}
