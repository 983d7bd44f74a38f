package io.palisade.upstream;

import io.palisade.upstream.balance.BalancerKind;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One cluster as the admin API shows it: its endpoints, what is in flight against its circuit limits, and how many
 * requests those limits turned away since the cluster was first configured.
 *
 * @param availableEndpoints endpoints neither ejected nor marked down by an active check
 * @param panic              passive ejections have the cluster under its {@code outlier.panic_threshold}: ejected
 *                           endpoints take traffic again
 */
public record ClusterSnapshot(String name, BalancerKind balancer, Optional<String> failover, int availableEndpoints,
                              boolean panic,
                              int activeRequests, int pendingRequests, int connections, int retriesInFlight,
                              Map<Cluster.Reason, Long> rejected, List<EndpointSnapshot> endpoints) {}
