package io.palisade.upstream;

import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every cluster generation of one manager shares: time, the serving sets and listeners. */
final class ClusterContext {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterManager.class);

    final Ticker ticker;
    private final List<Consumer<EndpointEvent>> listeners = new CopyOnWriteArrayList<>();
    private final RateLimitedLog listenerFailures;
    /** The primary serving set; replaced whole by {@link ClusterManager#activate}. */
    volatile ClusterSet clusters = new ClusterSet(Map.of());
    /** Every serving set, primary first (a canary may serve beside it). */
    volatile List<ClusterSet> serving = List.of();

    ClusterContext(Ticker ticker) {
        this.ticker = ticker;
        this.listenerFailures = RateLimitedLog.every(Duration.ofSeconds(10), LOG, ticker);
    }

    void addListener(Consumer<EndpointEvent> listener) {
        listeners.add(listener);
    }

    void publish(EndpointEvent event) {
        if (event.to().available()) {
            LOG.info("endpoint {}/{}: {} -> {} ({}: {})", event.cluster(), event.address(), event.from(), event.to(),
                    event.reason().label(), event.detail());
        } else {
            LOG.warn("endpoint {}/{}: {} -> {} ({}: {})", event.cluster(), event.address(), event.from(), event.to(),
                    event.reason().label(), event.detail());
        }
        for (Consumer<EndpointEvent> listener : listeners) {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                listenerFailures.warn("endpoint state listener failed", e);
            }
        }
    }
}
