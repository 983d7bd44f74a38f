package io.palisade.upstream;

import io.palisade.config.Address;
import io.palisade.upstream.balance.BalancerKind;
import io.palisade.upstream.health.HealthCheckConfig;
import io.palisade.upstream.health.OutlierConfig;
import io.palisade.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Cluster configs with sensible defaults, and endpoints for balancer tests. */
public final class TestClusters {
    private TestClusters() {}

    public static Builder config(String name) {
        return new Builder(name);
    }

    /** Endpoints {@code 10.0.0.1:80, 10.0.0.2:80, ...} with these weights, in a standalone cluster. */
    public static List<Endpoint> endpoints(int... weights) {
        Builder b = config("test");
        for (int i = 0; i < weights.length; i++) {
            b.endpoint("10.0.0." + (i + 1), 80, weights[i]);
        }
        return standalone(b.build(), Ticker.system()).endpoints();
    }

    /** A cluster outside any manager (no failover, no checks). */
    static Cluster standalone(ClusterConfig config, Ticker ticker) {
        ClusterCounters counters = new ClusterCounters();
        List<EndpointCore> cores = new ArrayList<>();
        List<Integer> weights = new ArrayList<>();
        for (EndpointConfig e : config.endpoints()) {
            cores.add(new EndpointCore(config.name(), e.address(), counters));
            weights.add(e.weight());
        }
        Cluster cluster = new Cluster(config, cores, weights, counters, new ClusterContext(ticker));
        for (Endpoint e : cluster.endpoints()) {
            e.core().owner = cluster;
        }
        return cluster;
    }

    public static final class Builder {
        private final String name;
        private final List<EndpointConfig> endpoints = new ArrayList<>();
        private BalancerKind balancer = BalancerKind.ROUND_ROBIN;
        private Optional<HealthCheckConfig> healthCheck = Optional.empty();
        private OutlierConfig outlier = new OutlierConfig(3, Duration.ofSeconds(10), Duration.ofSeconds(60), 50, 50);
        private CircuitLimits limits = new CircuitLimits(100, 100, 100);
        private RetryConfig retries = new RetryConfig(2, 0.2);
        private Optional<String> failover = Optional.empty();

        private Builder(String name) {
            this.name = name;
        }

        public Builder endpoint(String host, int port) {
            return endpoint(host, port, 1);
        }

        public Builder endpoint(String host, int port, int weight) {
            endpoints.add(new EndpointConfig(new Address(host, port), weight));
            return this;
        }

        public Builder balancer(BalancerKind kind) {
            this.balancer = kind;
            return this;
        }

        public Builder healthCheck(HealthCheckConfig check) {
            this.healthCheck = Optional.of(check);
            return this;
        }

        public Builder outlier(int consecutiveFailures, Duration ejection, Duration maxEjection, int maxPercent) {
            this.outlier = new OutlierConfig(consecutiveFailures, ejection, maxEjection, maxPercent,
                    outlier.panicThreshold());
            return this;
        }

        public Builder panicThreshold(int percent) {
            this.outlier = new OutlierConfig(outlier.consecutiveFailures(), outlier.ejection(), outlier.maxEjection(),
                    outlier.maxEjectionPercent(), percent);
            return this;
        }

        public Builder limits(int maxConnections, int maxPending, int maxRequests) {
            this.limits = new CircuitLimits(maxConnections, maxPending, maxRequests);
            return this;
        }

        public Builder retryBudget(double budget) {
            this.retries = new RetryConfig(2, budget);
            return this;
        }

        public Builder retries(int attempts, double budget) {
            this.retries = new RetryConfig(attempts, budget);
            return this;
        }

        public Builder failover(String cluster) {
            this.failover = Optional.of(cluster);
            return this;
        }

        public ClusterConfig build() {
            Optional<HashOn> hashOn = balancer == BalancerKind.CONSISTENT_HASH
                    ? Optional.of(new HashOn(HashOn.Source.HEADER, "x-tenant"))
                    : Optional.empty();
            return new ClusterConfig(name, List.copyOf(endpoints), balancer, hashOn,
                    new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(60)), healthCheck,
                    outlier, limits, retries, failover,
                    io.palisade.ratelimit.AdaptiveConcurrencySettings.disabled());
        }
    }
}
