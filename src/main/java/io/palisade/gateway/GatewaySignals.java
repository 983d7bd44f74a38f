package io.palisade.gateway;

import io.palisade.alert.Signals;
import io.palisade.ingest.IngestService;
import io.palisade.proxy.ProxyRuntime;
import io.palisade.upstream.Cluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * The probes behind the built-in alerts, read from the gateway's parts at each evaluation: the rate limiter's
 * fallback, the serving version's clusters, the ingest routes, the event loops' lag. Each read is a few volatile
 * fields; none blocks.
 */
final class GatewaySignals implements Signals {
    private final FilterChainFactory policy;
    private final ProxyRuntime runtime;
    private final IngestService ingest;
    private final DoubleSupplier lag;

    GatewaySignals(FilterChainFactory policy, ProxyRuntime runtime, IngestService ingest, DoubleSupplier lag) {
        this.policy = policy;
        this.runtime = runtime;
        this.ingest = ingest;
        this.lag = lag;
    }

    @Override
    public boolean rateLimitFallback() {
        return policy.rateLimitFallback();
    }

    @Override
    public List<ClusterState> clusters() {
        List<ClusterState> out = new ArrayList<>();
        var set = runtime.snapshot().clusters();
        for (Cluster c : set.clusters()) {
            int available = c.availableEndpoints().size();
            boolean failingOver = false;
            if (available == 0) {
                // Requests go down the failover chain when a cluster on it has an endpoint to take them.
                Optional<String> next = c.config().failover();
                for (int hops = 0; next.isPresent() && hops < 16 && !failingOver; hops++) {
                    Optional<Cluster> target = set.cluster(next.get());
                    failingOver = target.map(t -> !t.availableEndpoints().isEmpty()).orElse(false);
                    next = target.flatMap(t -> t.config().failover());
                }
            }
            out.add(new ClusterState(c.name(), c.endpoints().size(), available, failingOver, c.inPanic()));
        }
        return out;
    }

    @Override
    public List<IngestState> ingest() {
        List<IngestState> out = new ArrayList<>();
        for (IngestService.RouteStatus r : ingest.routes()) {
            out.add(new IngestState(r.route(), r.backlog(), r.oldestAgeSeconds(), r.quarantined()));
        }
        return out;
    }

    @Override
    public double eventLoopLagSeconds() {
        return lag.getAsDouble();
    }
}
