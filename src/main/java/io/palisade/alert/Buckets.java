package io.palisade.alert;

import java.util.Arrays;

/**
 * A few counters in buckets of one width, by bucket index ({@code epoch millis / width}), the last {@code size} of
 * them; each slot remembers its index, so a slot left from {@code size} buckets ago is never read as current. Only the
 * alert engine's thread touches it.
 */
final class Buckets {
    final long width;
    private final int counters;
    private final long[] index;
    private final long[] counts;

    Buckets(int size, long width, int counters) {
        this.width = width;
        this.counters = counters;
        this.index = new long[size];
        this.counts = new long[size * counters];
        Arrays.fill(index, Long.MIN_VALUE);
    }

    long indexOf(long millis) {
        return Math.floorDiv(millis, width);
    }

    void add(long i, long[] delta) {
        int s = (int) Math.floorMod(i, (long) index.length);
        if (index[s] != i) {
            index[s] = i;
            Arrays.fill(counts, s * counters, (s + 1) * counters, 0);
        }
        for (int k = 0; k < counters; k++) {
            counts[s * counters + k] += delta[k];
        }
    }

    /** Each counter summed over buckets {@code from..to}, both included. */
    long[] sum(long from, long to) {
        long[] out = new long[counters];
        for (long i = from; i <= to; i++) {
            int s = (int) Math.floorMod(i, (long) index.length);
            if (index[s] == i) {
                for (int k = 0; k < counters; k++) {
                    out[k] += counts[s * counters + k];
                }
            }
        }
        return out;
    }
}
