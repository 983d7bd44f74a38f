package io.palisade.upstream.balance;

import io.palisade.upstream.Endpoint;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A hash ring over the available endpoints. An endpoint's points depend only on its own address and weight, so the
 * ring of a smaller set is the ring of the larger one minus the departed endpoint's points: only its keys move.
 */
final class ConsistentHashBalancer implements Balancer {
    static final int POINTS_PER_WEIGHT = 160;
    /** Weights above this count as this much, bounding one endpoint's share of the ring's memory. */
    static final int MAX_WEIGHT = 128;

    private record Ring(List<Endpoint> list, long[] points, Endpoint[] owners) {}

    private final int pointsPerWeight;
    private volatile Ring ring = new Ring(List.of(), new long[0], new Endpoint[0]);

    ConsistentHashBalancer(int pointsPerWeight) {
        this.pointsPerWeight = pointsPerWeight;
    }

    @Override
    public Endpoint pick(List<Endpoint> available, String hashKey) {
        if (hashKey.isEmpty()) {
            return available.get(ThreadLocalRandom.current().nextInt(available.size()));
        }
        Ring r = ringFor(available);
        return r.owners()[slot(r.points(), Hashing.hash(hashKey))];
    }

    @Override
    public Endpoint pickOther(List<Endpoint> available, String hashKey, Endpoint avoid) {
        if (hashKey.isEmpty()) {
            Endpoint e = pick(available, hashKey);
            return e.equals(avoid) && available.size() > 1 ? available.get((available.indexOf(e) + 1)
                    % available.size()) : e;
        }
        Ring r = ringFor(available);
        Endpoint[] owners = r.owners();
        int start = slot(r.points(), Hashing.hash(hashKey));
        // Clockwise to the next other endpoint: where the key would go if avoid left the ring, so retries of one key
        // agree with each other.
        for (int k = 0; k < owners.length; k++) {
            Endpoint e = owners[(start + k) % owners.length];
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

    private Ring ringFor(List<Endpoint> available) {
        Ring r = ring;
        if (r.list() != available) {
            r = build(available);
            ring = r;
        }
        return r;
    }

    private Ring build(List<Endpoint> available) {
        int total = 0;
        for (Endpoint e : available) {
            total += pointsOf(e);
        }
        long[] keys = new long[total];
        Endpoint[] owners = new Endpoint[total];
        Integer[] order = new Integer[total];
        int k = 0;
        for (Endpoint e : available) {
            String id = e.address().toString();
            int points = pointsOf(e);
            for (int p = 0; p < points; p++) {
                keys[k] = Hashing.hash(id, p);
                owners[k] = e;
                order[k] = k;
                k++;
            }
        }
        // Ties between endpoints (a 64-bit collision) are broken by address, never by list order, so the ring is the
        // same whatever order the endpoints come in.
        Arrays.sort(order, (a, b) -> {
            int c = Long.compare(keys[a], keys[b]);
            return c != 0 ? c : owners[a].address().toString().compareTo(owners[b].address().toString());
        });
        long[] sortedKeys = new long[total];
        Endpoint[] sortedOwners = new Endpoint[total];
        for (int i = 0; i < total; i++) {
            sortedKeys[i] = keys[order[i]];
            sortedOwners[i] = owners[order[i]];
        }
        return new Ring(available, sortedKeys, sortedOwners);
    }

    private int pointsOf(Endpoint e) {
        return Math.min(Math.max(1, e.weight()), MAX_WEIGHT) * pointsPerWeight;
    }
}
