package io.palisade.ratelimit;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/** See {@link ConcurrencyLimiter}. */
final class DefaultConcurrencyLimiter implements ConcurrencyLimiter {
    private final InFlightCounters<Key> counters = new InFlightCounters<>();
    private final LongAdder rejections = new LongAdder();

    private record Key(String routeId, String consumer) {}

    @Override
    public Optional<Permit> tryAcquire(String routeId, String consumer, int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be >= 1: " + max);
        }
        Key key = new Key(Objects.requireNonNull(routeId, "routeId"), Objects.requireNonNull(consumer, "consumer"));
        InFlightCounters.Counter c = counters.tryIncrement(key, max);
        if (c == null) {
            rejections.increment();
            return Optional.empty();
        }
        return Optional.of(new Slot(key, c));
    }

    @Override
    public int inFlight(String routeId, String consumer) {
        return counters.get(new Key(routeId, consumer));
    }

    @Override
    public int trackedConsumers() {
        return counters.size();
    }

    @Override
    public long rejections() {
        return rejections.sum();
    }

    private final class Slot extends AtomicBoolean implements Permit {
        private final Key key;
        private final InFlightCounters.Counter counter;

        Slot(Key key, InFlightCounters.Counter counter) {
            this.key = key;
            this.counter = counter;
        }

        @Override
        public void release() {
            if (compareAndSet(false, true)) {
                counters.decrement(key, counter);
            }
        }
    }
}
