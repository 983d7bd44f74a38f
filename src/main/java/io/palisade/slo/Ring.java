package io.palisade.slo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Good and bad counts in buckets of one width, by bucket index ({@code epoch millis / width}), the last {@code size}
 * of them. Each slot remembers which index it holds, so a slot left over from {@code size} buckets ago is never read
 * as a current one. Only the engine's thread touches it (under the engine's lock): plain arrays, no atomics.
 */
final class Ring {
    final long width;
    private final long[] index;
    private final long[] good;
    private final long[] bad;
    /** Changed since the last successful save. */
    private final boolean[] dirty;

    Ring(int size, long width) {
        this.width = width;
        this.index = new long[size];
        this.good = new long[size];
        this.bad = new long[size];
        this.dirty = new boolean[size];
        Arrays.fill(index, Long.MIN_VALUE);
    }

    long indexOf(long millis) {
        return Math.floorDiv(millis, width);
    }

    private int slot(long i) {
        return (int) Math.floorMod(i, (long) index.length);
    }

    /** Adds to bucket {@code i}, which must be the newest so far or within {@code size} of it. */
    void add(long i, long goodCount, long badCount) {
        if (goodCount == 0 && badCount == 0) {
            return;
        }
        int s = claim(i);
        good[s] += goodCount;
        bad[s] += badCount;
        dirty[s] = true;
    }

    /** Adds stored counts of bucket {@code i} (at start-up); they are already saved, so the slot stays clean. */
    void restore(long i, long goodCount, long badCount, long newest) {
        if (i > newest || i <= newest - index.length) {
            return; // outside what this ring holds
        }
        int s = slot(i);
        boolean had = index[s] == i && (good[s] != 0 || bad[s] != 0);
        claim(i);
        good[s] += goodCount;
        bad[s] += badCount;
        dirty[s] = had;
    }

    private int claim(long i) {
        int s = slot(i);
        if (index[s] != i) {
            index[s] = i;
            good[s] = 0;
            bad[s] = 0;
            dirty[s] = false;
        }
        return s;
    }

    /** {@code [good, bad]} over the {@code n} buckets ending with {@code last}. */
    long[] sum(long last, int n) {
        long g = 0;
        long b = 0;
        for (long i = last - n + 1; i <= last; i++) {
            int s = slot(i);
            if (index[s] == i) {
                g += good[s];
                b += bad[s];
            }
        }
        return new long[] {g, b};
    }

    /** {@code [good, bad]} of bucket {@code i}, zero when not held. */
    long[] get(long i) {
        int s = slot(i);
        return index[s] == i ? new long[] {good[s], bad[s]} : new long[] {0, 0};
    }

    /** The changed buckets as {@code [index, good, bad]}, in no order; {@link #clean} marks them saved. */
    List<long[]> dirty() {
        List<long[]> out = new ArrayList<>();
        for (int s = 0; s < index.length; s++) {
            if (dirty[s]) {
                out.add(new long[] {index[s], good[s], bad[s]});
            }
        }
        return out;
    }

    /** Marks bucket {@code i} saved with these counts; one changed since (or reused) stays dirty. */
    void clean(long i, long goodCount, long badCount) {
        int s = slot(i);
        if (index[s] == i && good[s] == goodCount && bad[s] == badCount) {
            dirty[s] = false;
        }
    }

    int size() {
        return index.length;
    }
}
