package io.palisade.upstream;

import io.palisade.upstream.balance.BalancerKind;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One cluster as the admin API shows it: its endpoints, what is in flight against its circuit limits, and how many
 * requests those limits turned away since the cluster was first configured.
 *
 * @param availableEndpoints endpoints that may receive traffic now
 */
public record ClusterSnapshot(String name, BalancerKind balancer, Optional<String> failover, int availableEndpoints,
                              int activeRequests, int pendingRequests, int connections, int retriesInFlight,
                              Map<Cluster.Reason, Long> rejected, List<EndpointSnapshot> endpoints) {}
