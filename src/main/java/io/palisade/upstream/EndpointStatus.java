package io.palisade.upstream;

import io.palisade.upstream.health.HealthState;

/**
 * What the gateway thinks of an endpoint at one moment.
 *
 * @param health  the verdict of active checks
 * @param ejected whether passive outlier detection has taken it out of rotation
 */
public record EndpointStatus(HealthState health, boolean ejected) {
    /** Whether the endpoint may receive traffic: not UNHEALTHY and not ejected. */
    public boolean available() {
        return health.allowsTraffic() && !ejected;
    }

    @Override
    public String toString() {
        return ejected ? health.name().toLowerCase(java.util.Locale.ROOT) + "+ejected"
                : health.name().toLowerCase(java.util.Locale.ROOT);
    }
}
