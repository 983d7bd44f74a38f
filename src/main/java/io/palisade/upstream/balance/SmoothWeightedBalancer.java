package io.palisade.upstream.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * nginx's smooth weighted round robin, computed once per available list into a schedule of one full cycle, so a pick
 * is an atomic increment and an array read instead of a locked pass over every endpoint.
 */
final class SmoothWeightedBalancer <E extends Target> implements Balancer<E> {
    /**
     * The longest schedule kept; larger weights are scaled down to fit (ratios then hold to about one part in this
     * many), so a config with huge weights cannot make a rebuild, which runs on the picking thread, take long.
     */
    static final int MAX_CYCLE = 1 << 13;

    private record Schedule<E>(List<E> list, E[] order) {}

    private final AtomicLong next = new AtomicLong();
    private volatile Schedule<E> schedule = new Schedule<>(List.of(), emptyArray());

    @Override
    public E pick(List<E> available, String hashKey) {
        E[] order = scheduleFor(available);
        return order[index(order.length)];
    }

    @Override
    public E pickOther(List<E> available, String hashKey, E avoid) {
        E[] order = scheduleFor(available);
        int start = index(order.length);
        // Every endpoint appears in each cycle, so walking on finds another one if there is one.
        for (int k = 0; k < order.length; k++) {
            E e = order[(start + k) % order.length];
            if (!e.equals(avoid)) {
                return e;
            }
        }
        return order[start];
    }

    private int index(int n) {
        return (int) Math.floorMod(next.getAndIncrement(), (long) n);
    }

    private E[] scheduleFor(List<E> available) {
        Schedule<E> s = schedule;
        if (s.list() != available) {
            s = new Schedule<>(available, build(available));
            schedule = s;
        }
        return s.order();
    }

    static <E extends Target> E[] build(List<E> endpoints) {
        int n = endpoints.size();
        long[] weights = new long[n];
        long gcd = 0;
        long total = 0;
        for (int i = 0; i < n; i++) {
            weights[i] = Math.max(1, endpoints.get(i).weight());
            gcd = gcd(gcd, weights[i]);
            total += weights[i];
        }
        for (int i = 0; i < n; i++) {
            weights[i] /= gcd;
        }
        total /= gcd;
        if (total > MAX_CYCLE) {
            long scaled = 0;
            for (int i = 0; i < n; i++) {
                weights[i] = Math.max(1, weights[i] * (MAX_CYCLE - n) / total);
                scaled += weights[i];
            }
            total = scaled;
        }
        E[] order = newArray((int) total);
        long[] current = new long[n];
        for (int slot = 0; slot < order.length; slot++) {
            int best = 0;
            for (int i = 0; i < n; i++) {
                current[i] += weights[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            order[slot] = endpoints.get(best);
        }
        return order;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /**
     * Arrays of the list's own elements, typed as the list is. Every element stored comes from a {@code List<E>}, so
     * the unchecked view never hands out anything that is not an {@code E}.
     */
    @SuppressWarnings("unchecked")
    private static <E extends Target> E[] newArray(int n) {
        return (E[]) new Target[n];
    }

    private static <E extends Target> E[] emptyArray() {
        return newArray(0);
    }
}
