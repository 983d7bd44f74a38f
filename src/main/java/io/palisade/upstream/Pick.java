package io.palisade.upstream;

import java.util.Objects;

/**
 * Where one request attempt goes: the endpoint, and the cluster it belongs to, which after a failover is not the
 * cluster that was asked. Use that cluster's config (timeouts, limits, retries) for the attempt.
 *
 * <p>Each endpoint caches its own {@code Optional<Pick>}, so picking allocates nothing.
 */
public record Pick(Cluster cluster, Endpoint endpoint) {
    public Pick {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(endpoint, "endpoint");
    }
}
