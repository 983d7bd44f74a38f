package io.palisade.ratelimit;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/** See {@link AdaptiveConcurrency} for the algorithm and the shedding rule. */
final class GradientConcurrency implements AdaptiveConcurrency {
    static final double BACKOFF = 0.9;
    static final double SMOOTHING = 0.2;
    /** The long-term latency averages about this many requests, so it trails a change in latency for a while. */
    static final double LONG_SAMPLES = 600;
    static final double MIN_GRADIENT = 0.5;

    private static final Permit NOTHING = new Permit() {
        @Override
        public void onComplete(long latencyNanos, boolean dropped) {}

        @Override
        public void release() {}
    };

    private final InFlightCounters<String> consumers = new InFlightCounters<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder rejections = new LongAdder();
    private final ReentrantLock updating = new ReentrantLock();
    private volatile AdaptiveConcurrencySettings settings;
    private volatile int limit;

    // Guarded by `updating`.
    private double estimate;
    private double longLatency;
    private long windowLatency;
    private int windowCount;
    private int windowMaxInFlight;
    private boolean windowDropped;

    GradientConcurrency(AdaptiveConcurrencySettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.estimate = settings.initial();
        this.limit = settings.initial();
    }

    @Override
    public Admission admit(String consumer) {
        Objects.requireNonNull(consumer, "consumer");
        if (!settings.enabled()) {
            return NOTHING;
        }
        int l = limit;
        InFlightCounters.Counter counter = consumers.tryIncrement(consumer, Integer.MAX_VALUE);
        int mine = counter.get() - 1;
        int others = Math.max(0, consumers.size() - 1);
        int share = ceilDiv(l, others + 2);
        boolean light = mine < share;
        int threshold = light ? l : l - reserve(l);
        for (;;) {
            int now = inFlight.get();
            if (now >= threshold) {
                consumers.decrement(consumer, counter);
                rejections.increment();
                return light ? Refusal.SATURATED : Refusal.SHED;
            }
            if (inFlight.compareAndSet(now, now + 1)) {
                return new Slot(consumer, counter, now + 1);
            }
        }
    }

    static int reserve(int limit) {
        return Math.max(1, ceilDiv(limit, 10));
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Folds one completed request into the window; updates the limit when the window is full. */
    void sample(long latencyNanos, int inFlightAtStart, boolean dropped) {
        if (!updating.tryLock()) {
            return;
        }
        try {
            AdaptiveConcurrencySettings s = settings;
            windowLatency += Math.max(0, latencyNanos);
            windowCount++;
            windowDropped |= dropped;
            windowMaxInFlight = Math.max(windowMaxInFlight, inFlightAtStart);
            if (windowCount < s.window()) {
                return;
            }
            double current = Math.max(s.min(), Math.min(s.max(), estimate));
            double next;
            if (windowDropped) {
                next = current * BACKOFF;
            } else {
                double shortLatency = Math.max(1.0, (double) windowLatency / windowCount);
                double weight = Math.min(1.0, windowCount / LONG_SAMPLES);
                longLatency = longLatency <= 0 ? shortLatency : longLatency + (shortLatency - longLatency) * weight;
                if (longLatency > 2 * shortLatency) {
                    longLatency *= 0.95;
                }
                double gradient = Math.max(MIN_GRADIENT, Math.min(1.0, s.tolerance() * longLatency / shortLatency));
                double target = current * gradient + Math.sqrt(current);
                if (target > current && windowMaxInFlight < current / 2) {
                    target = current;
                }
                next = current * (1 - SMOOTHING) + target * SMOOTHING;
            }
            estimate = Math.max(s.min(), Math.min(s.max(), next));
            limit = (int) estimate;
            windowLatency = 0;
            windowCount = 0;
            windowMaxInFlight = 0;
            windowDropped = false;
        } finally {
            updating.unlock();
        }
    }

    @Override
    public int limit() {
        return settings.enabled() ? limit : Integer.MAX_VALUE;
    }

    @Override
    public int inFlight() {
        return inFlight.get();
    }

    @Override
    public int inFlight(String consumer) {
        return consumers.get(consumer);
    }

    @Override
    public long rejections() {
        return rejections.sum();
    }

    @Override
    public void update(AdaptiveConcurrencySettings next) {
        Objects.requireNonNull(next, "next");
        settings = next;
        // The estimate itself is clamped by the next update; the published limit obeys the new bounds at once.
        limit = Math.max(next.min(), Math.min(next.max(), limit));
    }

    private final class Slot extends AtomicBoolean implements Permit {
        private final String consumer;
        private final InFlightCounters.Counter counter;
        private final int inFlightAtStart;

        Slot(String consumer, InFlightCounters.Counter counter, int inFlightAtStart) {
            this.consumer = consumer;
            this.counter = counter;
            this.inFlightAtStart = inFlightAtStart;
        }

        @Override
        public void onComplete(long latencyNanos, boolean dropped) {
            if (end()) {
                sample(latencyNanos, inFlightAtStart, dropped);
            }
        }

        @Override
        public void release() {
            end();
        }

        private boolean end() {
            if (!compareAndSet(false, true)) {
                return false;
            }
            inFlight.decrementAndGet();
            consumers.decrement(consumer, counter);
            return true;
        }
    }
}
