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
 * @param protocol            what the gateway speaks to the endpoints ({@code protocol})
 */
public record ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerKind balancer,
                            Optional<HashOn> hashOn, Timeouts timeouts, Optional<HealthCheckConfig> healthCheck,
                            OutlierConfig outlier, CircuitLimits limits, RetryConfig retries,
                            Optional<String> failover, AdaptiveConcurrencySettings adaptiveConcurrency,
                            UpstreamProtocol protocol) {
    /** An HTTP/1.1 cluster. */
    public ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerKind balancer,
                         Optional<HashOn> hashOn, Timeouts timeouts, Optional<HealthCheckConfig> healthCheck,
                         OutlierConfig outlier, CircuitLimits limits, RetryConfig retries,
                         Optional<String> failover, AdaptiveConcurrencySettings adaptiveConcurrency) {
        this(name, endpoints, balancer, hashOn, timeouts, healthCheck, outlier, limits, retries, failover,
                adaptiveConcurrency, UpstreamProtocol.HTTP1);
    }
}
