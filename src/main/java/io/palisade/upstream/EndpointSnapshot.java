package io.palisade.upstream;

import io.palisade.config.Address;
import io.palisade.upstream.health.HealthState;

/**
 * One endpoint as the admin API shows it.
 *
 * @param ejectedRemainingMillis how long the current ejection still lasts (0 when not ejected)
 * @param ejectionCount          recent ejections after decay: the next ejection lasts {@code ejection × 2^count}
 */
public record EndpointSnapshot(Address address, int weight, HealthState health, boolean ejected,
                               long ejectedRemainingMillis, int ejectionCount, int activeRequests,
                               int consecutiveFailures) {
    public boolean available() {
        return health.allowsTraffic() && !ejected;
    }
}
