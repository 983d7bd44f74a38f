package io.palisade.gateway;

import io.palisade.config.GatewayConfig;
import io.palisade.proxy.GatewayFilter;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the policy chain for each config snapshot, in the order the architecture fixes: limits that run before any
 * credential lookup, authentication and authorization, then per-consumer limits. Long-lived services behind the
 * filters (credential views, limiter tables) are created once and updated on reload, so caches and counters survive.
 */
final class FilterChainFactory implements AutoCloseable {
    List<GatewayFilter> filters(GatewayConfig config) {
        return new ArrayList<>();
    }

    /** Called after {@code config} went live, to update long-lived services. */
    void applied(GatewayConfig config) {}

    @Override
    public void close() {}
}
