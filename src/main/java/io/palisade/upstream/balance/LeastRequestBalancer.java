package io.palisade.upstream.balance;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

final class LeastRequestBalancer <E extends Target> implements Balancer<E> {
    @Override
    public E pick(List<E> available, String hashKey) {
        int n = available.size();
        if (n == 1) {
            return available.get(0);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int i = random.nextInt(n);
        int j = random.nextInt(n - 1);
        if (j >= i) {
            j++;
        }
        return lessLoaded(available.get(i), available.get(j));
    }

    @Override
    public E pickOther(List<E> available, String hashKey, E avoid) {
        int n = available.size();
        int skip = available.indexOf(avoid);
        if (skip < 0 || n == 1) {
            return pick(available, hashKey);
        }
        int m = n - 1;
        if (m == 1) {
            return available.get(skip == 0 ? 1 : 0);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int i = random.nextInt(m);
        int j = random.nextInt(m - 1);
        if (j >= i) {
            j++;
        }
        return lessLoaded(available.get(i >= skip ? i + 1 : i), available.get(j >= skip ? j + 1 : j));
    }

    /**
     * Compares {@code (active + 1) / weight} by cross-multiplying. The {@code + 1} makes weights count even when both
     * are idle; ties go to the first, which is already a random choice.
     */
    static <E extends Target> E lessLoaded(E a, E b) {
        long loadA = (a.activeRequests() + 1L) * b.weight();
        long loadB = (b.activeRequests() + 1L) * a.weight();
        return loadA <= loadB ? a : b;
    }
}
