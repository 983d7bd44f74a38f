package io.palisade.upstream;

import io.palisade.upstream.balance.BalancerKind;
import io.palisade.upstream.health.HealthCheckConfig;
import io.palisade.upstream.health.OutlierConfig;
import io.palisade.ratelimit.AdaptiveConcurrencySettings;
import java.util.List;
import java.util.Optional;

/**
 * A named group of interchangeable endpoints.
 *
 * @param failover            the cluster used when this one has no healthy endpoint
 * @param adaptiveConcurrency the latency-driven concurrency limit that sheds the heaviest consumers first
 */
public record ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerKind balancer,
                            Optional<HashOn> hashOn, Timeouts timeouts, Optional<HealthCheckConfig> healthCheck,
                            OutlierConfig outlier, CircuitLimits limits, RetryConfig retries,
                            Optional<String> failover, AdaptiveConcurrencySettings adaptiveConcurrency) {}
