package io.palisade.alert;

import io.palisade.error.ErrorKind;
import io.palisade.outcome.Outcome;
import io.palisade.outcome.OutcomeSubscriber;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts answers per route and per consumer for the outcome-based alerts ({@code http_4xx_spike},
 * {@code auth_unavailable}). On the event loops: a map read and a few {@link LongAdder} adds per request; a key's
 * counters are made once, on its first request. At each evaluation the engine's thread takes what was added into
 * buckets of {@link #RECENT_WIDTH_MILLIS} (the last minute) and of a minute (the baseline's 30).
 *
 * <p>Requests without a status (the client left before any answer) are not counted: there is no share of anything.
 * Consumer counters are kept only for identified consumers; an unauthenticated request has none (its route's count
 * holds it). At most {@link #MAX_KEYS} routes and as many consumers are watched; further ones are not.
 */
final class TrafficWatch implements OutcomeSubscriber {
    static final int MAX_KEYS = 1024;
    static final long RECENT_WIDTH_MILLIS = 10_000;
    static final long BASELINE_WIDTH_MILLIS = 60_000;
    /** The counters of every key, in bucket arrays in this order. */
    static final int TOTAL = 0;
    static final int C4XX = 1;
    static final int C403 = 2;
    static final int AUTH_UNAVAILABLE = 3;
    static final int COUNTERS = 4;

    /** The event loops' side of one key. */
    static final class Live {
        final LongAdder[] adders = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()};
    }

    /** The engine thread's side of one key. */
    static final class Series {
        final long[] taken = new long[COUNTERS];
        /** Six buckets make the last minute; two spare. */
        final Buckets recent = new Buckets(8, RECENT_WIDTH_MILLIS, COUNTERS);
        /** Thirty complete minutes before the last one, and the two being filled. */
        final Buckets baseline = new Buckets(34, BASELINE_WIDTH_MILLIS, COUNTERS);

        /** The last minute: the bucket being filled and the five before it. */
        long[] lastMinute(long now) {
            long i = recent.indexOf(now);
            return recent.sum(i - 5, i);
        }

        /** The 30 whole minutes that ended at least a minute ago (so the last minute is not in its own baseline). */
        long[] baseline(long now) {
            long m = baseline.indexOf(now);
            return baseline.sum(m - 31, m - 2);
        }
    }

    private final ConcurrentHashMap<String, Live> routes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Live> consumers = new ConcurrentHashMap<>();
    private final LongAdder unwatched = new LongAdder();
    // The engine thread's:
    private final Map<String, Series> routeSeries = new HashMap<>();
    private final Map<String, Series> consumerSeries = new HashMap<>();
    private long firstSample = Long.MIN_VALUE;

    @Override
    public void onOutcome(Outcome o) {
        int status = o.status();
        if (status == 0) {
            return;
        }
        boolean c4xx = status >= 400 && status < 500;
        Optional<ErrorKind> error = o.error();
        boolean authUnavailable = error.isPresent() && error.get() == ErrorKind.AUTH_UNAVAILABLE;
        count(routes, o.route(), c4xx, status == 403, authUnavailable);
        if (!o.consumer().isEmpty()) {
            count(consumers, o.consumer(), c4xx, status == 403, authUnavailable);
        }
    }

    private void count(ConcurrentHashMap<String, Live> map, String key, boolean c4xx, boolean c403,
                       boolean authUnavailable) {
        Live live = map.get(key);
        if (live == null) {
            if (map.size() >= MAX_KEYS) {
                unwatched.increment();
                return;
            }
            live = map.computeIfAbsent(key, k -> new Live());
        }
        LongAdder[] a = live.adders;
        a[TOTAL].increment();
        if (c4xx) {
            a[C4XX].increment();
        }
        if (c403) {
            a[C403].increment();
        }
        if (authUnavailable) {
            a[AUTH_UNAVAILABLE].increment();
        }
    }

    /** Takes what the event loops added since the last sample into the buckets of {@code now}. Engine thread. */
    void sample(long now) {
        if (firstSample == Long.MIN_VALUE) {
            firstSample = now;
        }
        take(routes, routeSeries, now);
        take(consumers, consumerSeries, now);
    }

    private static void take(ConcurrentHashMap<String, Live> live, Map<String, Series> series, long now) {
        long[] delta = new long[COUNTERS];
        live.forEach((key, l) -> {
            Series s = series.computeIfAbsent(key, k -> new Series());
            for (int k = 0; k < COUNTERS; k++) {
                long v = l.adders[k].sum();
                delta[k] = v - s.taken[k];
                s.taken[k] = v;
            }
            s.recent.add(s.recent.indexOf(now), delta);
            s.baseline.add(s.baseline.indexOf(now), delta);
        });
    }

    Map<String, Series> routes() {
        return routeSeries;
    }

    Map<String, Series> consumers() {
        return consumerSeries;
    }

    /** Milliseconds since the first sample: how much baseline there can be. */
    long watchedMillis(long now) {
        return firstSample == Long.MIN_VALUE ? 0 : now - firstSample;
    }

    /** Requests not counted because {@link #MAX_KEYS} keys were watched already. */
    long unwatched() {
        return unwatched.sum();
    }
}
