package io.palisade.upstream.health;

/**
 * What active health checks last concluded about an endpoint. Legal moves between states are the
 * {@link HealthTransition}s; there is no way back to {@link #UNKNOWN} except a {@link HealthTracker#reset()} when the
 * check itself is removed from the config.
 */
public enum HealthState {
    /** No check has completed yet (or the cluster has no active check): the endpoint gets traffic. */
    UNKNOWN,
    HEALTHY,
    /** Failed {@code unhealthy_after} checks in a row (or the first one): no traffic until it passes again. */
    UNHEALTHY;

    /** Whether an endpoint in this state may be picked: UNKNOWN counts, so traffic flows before the first check. */
    public boolean allowsTraffic() {
        return this != UNHEALTHY;
    }
}
