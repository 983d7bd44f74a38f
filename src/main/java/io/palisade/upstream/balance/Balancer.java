package io.palisade.upstream.balance;

import java.util.List;

/**
 * Chooses one endpoint among those available. A cluster keeps one balancer per config generation and calls it from
 * every event loop at once, so implementations are thread-safe and lock-free.
 *
 * <p>The {@code available} list is non-empty, immutable, and the same instance until some endpoint's availability
 * changes; a balancer may therefore derive structures from it (a ring, a schedule) and rebuild them only when it sees
 * a new instance. Unavailable endpoints are simply not in the list, so picks never have to skip them.
 *
 * <pre>{@code
 * Balancer<Endpoint> balancer = Balancer.leastRequest();
 * E e = balancer.pick(available, "");
 * E retry = balancer.pickOther(available, "", e);
 * }</pre>
 */
public interface Balancer<E extends Target> {
    /**
     * @param available non-empty, immutable
     * @param hashKey   what to hash for {@link #consistentHash()}; the others ignore it
     */
    E pick(List<E> available, String hashKey);

    /**
     * Like {@link #pick}, for a retry: returns an endpoint other than {@code avoid} (compared with {@code equals})
     * whenever {@code available} has one. {@code avoid} need not be in the list.
     */
    E pickOther(List<E> available, String hashKey, E avoid);

    /** A new balancer of the configured kind (each has its own rotation state). */
    static <E extends Target> Balancer<E> of(BalancerKind kind) {
        return switch (kind) {
            case ROUND_ROBIN -> roundRobin();
            case WEIGHTED -> weighted();
            case LEAST_REQUEST -> leastRequest();
            case CONSISTENT_HASH -> consistentHash();
        };
    }

    /** Each endpoint in turn, ignoring weights. */
    static <E extends Target> Balancer<E> roundRobin() {
        return new RoundRobinBalancer<>();
    }

    /**
     * Smooth weighted round robin (nginx's algorithm): over every {@code sum(weights)} picks each endpoint gets
     * exactly its weight, spread out rather than in bursts ({@code a a b a c a a} rather than
     * {@code a a a a a b c} for weights 5, 1, 1).
     */
    static <E extends Target> Balancer<E> weighted() {
        return new SmoothWeightedBalancer<>();
    }

    /**
     * Power of two random choices on requests in flight, weighted: of two random endpoints, the one with the lower
     * {@code (active + 1) / weight}. A slow endpoint accumulates requests in flight and so receives fewer new ones, which
     * keeps load balanced when endpoints differ in speed (seed 000); two choices instead of a full scan avoid every
     * event loop herding onto the same momentarily idle endpoint.
     */
    static <E extends Target> Balancer<E> leastRequest() {
        return new LeastRequestBalancer<>();
    }

    /**
     * A consistent-hash ring with {@value ConsistentHashBalancer#POINTS_PER_WEIGHT} points per unit of weight: the same
     * key goes to the same endpoint, and when an endpoint leaves (removed, unhealthy or ejected) only its keys move,
     * to the next endpoint on the ring; keys of the others stay put. A request without a key ({@code ""}) goes to a
     * random endpoint rather than piling onto the one that owns the empty key.
     */
    static <E extends Target> Balancer<E> consistentHash() {
        return new ConsistentHashBalancer<>(ConsistentHashBalancer.POINTS_PER_WEIGHT);
    }

    /** A consistent-hash ring with {@code pointsPerWeight} points per unit of weight (more: more even, more memory). */
    static <E extends Target> Balancer<E> consistentHash(int pointsPerWeight) {
        if (pointsPerWeight < 1) {
            throw new IllegalArgumentException("pointsPerWeight: " + pointsPerWeight + " (expected: >= 1)");
        }
        return new ConsistentHashBalancer<>(pointsPerWeight);
    }
}
