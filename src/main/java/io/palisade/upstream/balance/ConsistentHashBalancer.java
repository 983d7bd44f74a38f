package io.palisade.upstream.balance;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A hash ring over the available endpoints. An endpoint's points depend only on its own address and weight, so the
 * ring of a smaller set is the ring of the larger one minus the departed endpoint's points: only its keys move.
 */
final class ConsistentHashBalancer <E extends Target> implements Balancer<E> {
    static final int POINTS_PER_WEIGHT = 160;
    /** Weights above this count as this much, bounding one endpoint's share of the ring's memory. */
    static final int MAX_WEIGHT = 128;

    private record Ring<E>(List<E> list, long[] points, E[] owners) {}

    private final int pointsPerWeight;
    private volatile Ring<E> ring = new Ring<>(List.of(), new long[0], emptyArray());

    ConsistentHashBalancer(int pointsPerWeight) {
        this.pointsPerWeight = pointsPerWeight;
    }

    @Override
    public E pick(List<E> available, String hashKey) {
        if (hashKey.isEmpty()) {
            return available.get(ThreadLocalRandom.current().nextInt(available.size()));
        }
        Ring<E> r = ringFor(available);
        return r.owners()[slot(r.points(), Hashing.hash(hashKey))];
    }

    @Override
    public E pickOther(List<E> available, String hashKey, E avoid) {
        if (hashKey.isEmpty()) {
            E e = pick(available, hashKey);
            return e.equals(avoid) && available.size() > 1 ? available.get((available.indexOf(e) + 1)
                    % available.size()) : e;
        }
        Ring<E> r = ringFor(available);
        E[] owners = r.owners();
        int start = slot(r.points(), Hashing.hash(hashKey));
        // Clockwise to the next other endpoint: where the key would go if avoid left the ring, so retries of one key
        // agree with each other.
        for (int k = 0; k < owners.length; k++) {
            E e = owners[(start + k) % owners.length];
            if (!e.equals(avoid)) {
                return e;
            }
        }
        return owners[start];
    }

    /** The first point at or after {@code hash}, wrapping around. */
    private static int slot(long[] points, long hash) {
        int i = Arrays.binarySearch(points, hash);
        if (i < 0) {
            i = -i - 1;
        }
        return i == points.length ? 0 : i;
    }

    private Ring<E> ringFor(List<E> available) {
        Ring<E> r = ring;
        if (r.list() != available) {
            r = build(available);
            ring = r;
        }
        return r;
    }

    /**
     * Runs on the picking thread after an availability change, so it avoids boxing: the points are sorted as primitives
     * and each endpoint then finds its own points by binary search.
     */
    private Ring<E> build(List<E> available) {
        int total = 0;
        for (E e : available) {
            total += pointsOf(e);
        }
        long[] points = new long[total];
        int k = 0;
        for (E e : available) {
            long seed = Hashing.seed(e.address().toString());
            for (int p = 0, n = pointsOf(e); p < n; p++) {
                points[k++] = Hashing.point(seed, p);
            }
        }
        Arrays.sort(points);
        E[] owners = newArray(total);
        boolean collided = false;
        for (E e : available) {
            long seed = Hashing.seed(e.address().toString());
            for (int p = 0, n = pointsOf(e); p < n; p++) {
                long point = Hashing.point(seed, p);
                int i = Arrays.binarySearch(points, point);
                while (i > 0 && points[i - 1] == point) {
                    i--;
                }
                while (owners[i] != null) { // equal points: the next free slot of the run
                    i++;
                    collided = true;
                }
                owners[i] = e;
            }
        }
        if (collided) {
            orderCollisions(points, owners);
        }
        return new Ring<>(available, points, owners);
    }

    /**
     * Owners of equal points (a 64-bit collision) are ordered by address, never by list order, so the ring is the same
     * whatever order the endpoints come in.
     */
    private static <E extends Target> void orderCollisions(long[] points, E[] owners) {
        int i = 0;
        while (i < points.length) {
            int j = i + 1;
            while (j < points.length && points[j] == points[i]) {
                j++;
            }
            if (j - i > 1) {
                Arrays.sort(owners, i, j, Comparator.comparing(e -> e.address().toString()));
            }
            i = j;
        }
    }

    private int pointsOf(E e) {
        return Math.min(Math.max(1, e.weight()), MAX_WEIGHT) * pointsPerWeight;
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
