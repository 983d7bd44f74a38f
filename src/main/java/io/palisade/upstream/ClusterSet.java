package io.palisade.upstream;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The clusters of one config version, immutable: what a snapshot routes to. Built by {@link ClusterManager#prepare}
 * without changing what serves; endpoints that the serving versions also have share their state (health verdict,
 * ejection, requests in flight) with them, by identity. A failover chain is followed within the set, so a request
 * bound to one version never fails over into another version's clusters.
 *
 * <pre>{@code
 * ClusterSet next = clusters.prepare(config.clusters());   // a candidate: probe it, or drop it
 * clusters.activate(List.of(next));                          // health checks follow what serves
 * Optional<Cluster> orders = next.cluster("orders");         // per request, through the request's snapshot
 * }</pre>
 */
public final class ClusterSet {
    private final Map<String, Cluster> byName;

    ClusterSet(Map<String, Cluster> clusters) {
        this.byName = Collections.unmodifiableMap(new LinkedHashMap<>(clusters));
        for (Cluster c : byName.values()) {
            c.joined(this);
        }
    }

    /** The cluster named {@code name}; a map lookup that allocates nothing. */
    public Optional<Cluster> cluster(String name) {
        Cluster cluster = byName.get(name);
        return cluster == null ? Optional.empty() : cluster.asOptional();
    }

    /** In config order. */
    public Collection<Cluster> clusters() {
        return byName.values();
    }

    Cluster get(String name) {
        return byName.get(name);
    }

    int size() {
        return byName.size();
    }
}
