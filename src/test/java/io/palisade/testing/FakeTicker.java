package io.palisade.testing;

import io.palisade.time.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link Ticker} that moves only when a test advances it. */
public final class FakeTicker implements Ticker {
    private final AtomicLong nanos = new AtomicLong();

    @Override
    public long read() {
        return nanos.get();
    }

    public FakeTicker advance(Duration d) {
        nanos.addAndGet(d.toNanos());
        return this;
    }

    public FakeTicker advanceNanos(long n) {
        nanos.addAndGet(n);
        return this;
    }

    /**
     * A UTC clock that reads {@code origin} plus however far this ticker has been advanced, so code that takes both a
     * ticker and a clock sees one consistent time.
     */
    public Clock clock(Instant origin) {
        return new TickerClock(this, origin, ZoneOffset.UTC);
    }

    private static final class TickerClock extends Clock {
        private final FakeTicker ticker;
        private final Instant origin;
        private final ZoneId zone;

        TickerClock(FakeTicker ticker, Instant origin, ZoneId zone) {
            this.ticker = ticker;
            this.origin = origin;
            this.zone = zone;
        }

        @Override
        public ZoneId getZone() {
            return zone;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return new TickerClock(ticker, origin, zone);
        }

        @Override
        public Instant instant() {
            return origin.plusNanos(ticker.read());
        }
    }
}
