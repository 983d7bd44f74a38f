package io.palisade.upstream;

import io.palisade.config.Address;
import io.palisade.upstream.health.HealthCheckConfig;
import io.palisade.upstream.health.ActiveHealthChecker;
import io.palisade.upstream.health.HealthTracker;
import io.palisade.upstream.health.OutlierDetector;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The state of one (cluster, address) that outlives config reloads: requests in flight, active-check verdict,
 * ejection. Each reload makes new {@link Endpoint} views (the weight may change) over the same core.
 */
final class EndpointCore {
    final String cluster;
    final Address address;
    final ClusterCounters counters;
    final AtomicInteger active = new AtomicInteger();
    final HealthTracker health = new HealthTracker();
    final OutlierDetector outlier = new OutlierDetector();
    private static final Cluster[] NONE = new Cluster[0];
    /**
     * The primary serving generation of the cluster: state changes are decided with its config and rebuild its view.
     */
    volatile Cluster owner;
    /** Other serving generations holding this endpoint (a canary beside the primary): their views are rebuilt too. */
    volatile Cluster[] alsoIn = NONE;
    /** Set when the endpoint leaves the config; late results and failures then change nothing. */
    volatile boolean retired;

    // Guarded by the ClusterManager's lock.
    ActiveHealthChecker.Check check;
    HealthCheckConfig checkConfig;
    /** The cluster's TLS the running check speaks. */
    java.util.Optional<io.palisade.tls.UpstreamTls> checkTls = java.util.Optional.empty();

    EndpointCore(String cluster, Address address, ClusterCounters counters) {
        this.cluster = cluster;
        this.address = address;
        this.counters = counters;
    }

    boolean available() {
        return health.state().allowsTraffic() && !outlier.isEjected();
    }

    EndpointStatus status() {
        return new EndpointStatus(health.state(), outlier.isEjected());
    }
}
