package io.palisade.upstream;

import io.palisade.upstream.balance.BalancerKind;
import io.palisade.upstream.health.HealthCheckConfig;
import io.palisade.upstream.health.OutlierConfig;
import io.palisade.ratelimit.AdaptiveConcurrencySettings;
import io.palisade.tls.UpstreamTls;
import java.util.List;
import java.util.Optional;

/**
 * A named group of interchangeable endpoints.
 *
 * @param failover            the cluster used when this one has no healthy endpoint
 * @param adaptiveConcurrency the latency-driven concurrency limit that sheds the heaviest consumers first
 * @param tls                 present: connections to the endpoints (and health checks) speak TLS, verified unless it
 *                            says otherwise
 * @param protocol            what the gateway speaks to the endpoints ({@code protocol})
 */
public record ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerKind balancer,
                            Optional<HashOn> hashOn, Timeouts timeouts, Optional<HealthCheckConfig> healthCheck,
                            OutlierConfig outlier, CircuitLimits limits, RetryConfig retries,
                            Optional<String> failover, AdaptiveConcurrencySettings adaptiveConcurrency,
                            Optional<UpstreamTls> tls, UpstreamProtocol protocol) {
    public ClusterConfig {
        java.util.Objects.requireNonNull(tls, "tls");
        java.util.Objects.requireNonNull(protocol, "protocol");
    }

    /** An HTTP/1.1 cluster, spoken to over TLS when {@code tls} is present. */
    public ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerKind balancer,
                         Optional<HashOn> hashOn, Timeouts timeouts, Optional<HealthCheckConfig> healthCheck,
                         OutlierConfig outlier, CircuitLimits limits, RetryConfig retries,
                         Optional<String> failover, AdaptiveConcurrencySettings adaptiveConcurrency,
                         Optional<UpstreamTls> tls) {
        this(name, endpoints, balancer, hashOn, timeouts, healthCheck, outlier, limits, retries, failover,
                adaptiveConcurrency, tls, UpstreamProtocol.HTTP1);
    }

    /** A cluster spoken to in cleartext with {@code protocol}. */
    public ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerKind balancer,
                         Optional<HashOn> hashOn, Timeouts timeouts, Optional<HealthCheckConfig> healthCheck,
                         OutlierConfig outlier, CircuitLimits limits, RetryConfig retries,
                         Optional<String> failover, AdaptiveConcurrencySettings adaptiveConcurrency,
                         UpstreamProtocol protocol) {
        this(name, endpoints, balancer, hashOn, timeouts, healthCheck, outlier, limits, retries, failover,
                adaptiveConcurrency, Optional.empty(), protocol);
    }

    /** An HTTP/1.1 cluster in cleartext. */
    public ClusterConfig(String name, List<EndpointConfig> endpoints, BalancerKind balancer,
                         Optional<HashOn> hashOn, Timeouts timeouts, Optional<HealthCheckConfig> healthCheck,
                         OutlierConfig outlier, CircuitLimits limits, RetryConfig retries,
                         Optional<String> failover, AdaptiveConcurrencySettings adaptiveConcurrency) {
        this(name, endpoints, balancer, hashOn, timeouts, healthCheck, outlier, limits, retries, failover,
                adaptiveConcurrency, Optional.empty(), UpstreamProtocol.HTTP1);
    }
}
