package io.palisade.gateway;

import io.palisade.route.RouteConfig;
import io.palisade.route.WeightedCluster;
import io.palisade.upstream.ClusterConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where a route's traffic goes, for the traffic-shift guard: each reachable cluster and its share. */
final class RouteTargets {
    private RouteTargets() {}

    /**
     * Each cluster the route can send to, with its share of the route's traffic in parts per million: the weighted
     * clusters by weight, and the failover targets with 0 (they take traffic only when a cluster before them fails).
     */
    static Map<String, Integer> weights(RouteConfig route, Map<String, ClusterConfig> clusters) {
        long total = 0;
        for (WeightedCluster c : route.clusters()) {
            total += c.weight();
        }
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String name : route.reachableClusters(clusters)) {
            out.put(name, 0);
        }
        for (WeightedCluster c : route.clusters()) {
            if (c.weight() > 0 && total > 0) {
                out.put(c.name(), (int) (c.weight() * 1_000_000L / total));
            }
        }
        // An ingest route delivers everything it stores to its one cluster.
        route.ingest().ifPresent(action -> out.put(action.cluster(), 1_000_000));
        return out;
    }
}
