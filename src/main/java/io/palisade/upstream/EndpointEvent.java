package io.palisade.upstream;

import io.palisade.config.Address;

/**
 * A change in an endpoint's status, for metrics, the status page and logs.
 *
 * <pre>{@code
 * manager.onEndpointStateChange(e -> gauge.labelValues(e.cluster(), e.address().toString())
 *         .set(e.to().available() ? 1 : 0));
 * }</pre>
 *
 * @param detail a short human explanation: the failed check ({@code connect failed: Connection refused}) or the
 *               ejection ({@code 5 consecutive failures (last: TIMEOUT), ejected for 30000 ms})
 */
public record EndpointEvent(String cluster, Address address, EndpointStatus from, EndpointStatus to, Reason reason,
                            String detail) {

    /** What caused the change. */
    public enum Reason {
        /** An active health check crossed {@code unhealthy_after} or {@code healthy_after}. */
        ACTIVE_CHECK,
        /** Passive outlier detection ejected the endpoint. */
        OUTLIER,
        /** An ejection ran out and the endpoint is back in rotation. */
        RECOVERED,
        /** The config removed the endpoint's active check, so its verdict was forgotten. */
        CONFIG;

        /** The lower-case name used in logs and metric labels. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
