package io.palisade.drills;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The control for the gateway's event-loop lag: the same 100 ms probe, run in the drill's own JVM over the same
 * window. On a busy shared machine both see scheduling delay; only lag beyond the control's is the gateway's doing
 * (a blocked event loop).
 */
final class LagProbe implements AutoCloseable {
    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lag-probe");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong maxLagNanos = new AtomicLong();

    LagProbe() {
        schedule();
    }

    private void schedule() {
        long due = System.nanoTime() + PERIOD_NANOS;
        timer.schedule(() -> {
            maxLagNanos.accumulateAndGet(Math.max(0, System.nanoTime() - due), Math::max);
            schedule();
        }, PERIOD_NANOS, TimeUnit.NANOSECONDS);
    }

    double maxLagSeconds() {
        return maxLagNanos.get() / 1e9;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
