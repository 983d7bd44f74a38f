package io.palisade.config;

import java.util.List;
import java.util.Optional;

/**
 * A named group of interchangeable endpoints.
 *
 * @param failover the cluster used when this one has no healthy endpoint
 */
public record ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerKind balancer,
                            Optional<HashOn> hashOn, Timeouts timeouts, Optional<HealthCheckConfig> healthCheck,
                            OutlierConfig outlier, CircuitLimits limits, RetryConfig retries,
                            Optional<String> failover) {}
