package io.palisade.proxy;

import io.palisade.route.RouteConfig;
import io.palisade.route.WeightedCluster;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.ClusterSet;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.random.RandomGenerator;

/**
 * A route's weighted clusters resolved in one snapshot's {@link ClusterSet}: the clusters that take traffic (weight
 * 0 ones are left out), their weights, and the request timeout an exchange sent to each gets (the route's, else that
 * cluster's). A request picks its slot once ({@link ExchangeDispatch#chosen}); the cluster's own balancing, health,
 * ejection and failover chain take it from there.
 */
final class RouteClusters {
    private static final RouteClusters NONE = new RouteClusters(new Cluster[0], new long[0], null);

    private final Cluster[] clusters;
    private final long[] requestTimeoutNanos;
    /** Null when the route has no cluster (the unmatched route). */
    private final WeightTable weights;
    /**
     * Whether a slot's cluster has an endpoint to take a request now (neither ejected nor marked down); one instance
     * per route, so a pick allocates nothing.
     */
    private final IntPredicate hasEndpoint;

    private RouteClusters(Cluster[] clusters, long[] requestTimeoutNanos, WeightTable weights) {
        this.clusters = clusters;
        this.requestTimeoutNanos = requestTimeoutNanos;
        this.weights = weights;
        this.hasEndpoint = slot -> !this.clusters[slot].availableEndpoints().isEmpty();
    }

    /** The route's clusters in {@code set}, which has every one of them (the loader checked). */
    static RouteClusters resolve(RouteConfig route, ClusterSet set) {
        List<Cluster> serving = new ArrayList<>();
        List<Integer> weights = new ArrayList<>();
        for (WeightedCluster wc : route.clusters()) {
            if (wc.weight() > 0) {
                serving.add(set.cluster(wc.name()).orElseThrow(() -> new IllegalArgumentException(
                        "route " + route.id() + ": cluster " + wc.name() + " is not in the snapshot's clusters")));
                weights.add(wc.weight());
            }
        }
        if (serving.isEmpty()) {
            return NONE;
        }
        long[] timeouts = new long[serving.size()];
        for (int i = 0; i < timeouts.length; i++) {
            timeouts[i] = route.requestTimeout().orElse(serving.get(i).config().timeouts().request()).toNanos();
        }
        return new RouteClusters(serving.toArray(Cluster[]::new), timeouts,
                new WeightTable(weights.stream().mapToInt(Integer::intValue).toArray()));
    }

    static RouteClusters none() {
        return NONE;
    }

    int size() {
        return clusters.length;
    }

    Cluster cluster(int slot) {
        return clusters[slot];
    }

    long requestTimeoutNanos(int slot) {
        return requestTimeoutNanos[slot];
    }

    /**
     * A slot by weight among the clusters with an endpoint available; when none has one, by weight among all (that
     * cluster's failover chain, then 503, as with a single cluster).
     */
    int choose(RandomGenerator random) {
        return weights.pick(random, hasEndpoint);
    }

    /** Another slot with an endpoint available, by weight, for a request {@code slot} has nothing left for; or -1. */
    int chooseOther(RandomGenerator random, int slot) {
        return weights.pickOther(random, hasEndpoint, slot);
    }
}
