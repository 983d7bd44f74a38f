package io.palisade.overload;

/**
 * {@code server.overload}: the heap thresholds, as fractions of the heap's limit ({@code -Xmx}) in use after garbage
 * collection, above which the gateway sheds work before the JVM thrashes (Envoy's overload manager, on the JVM's
 * heap).
 *
 * @param heapStopKeepAlive above it, every HTTP/1.1 response closes its connection ({@code Connection: close}), so
 *                          clients reconnect and a balancer in front spreads them over other instances
 * @param heapShed          above it, new requests are answered 503 {@code overloaded} with {@code Retry-After} before
 *                          any work is done for them; the admin listener is never shed
 */
public record OverloadSettings(double heapStopKeepAlive, double heapShed) {
    /** 85 % and 95 %: G1 starts struggling (back-to-back collections, then full ones) in the last tenth. */
    public static final OverloadSettings DEFAULTS = new OverloadSettings(0.85, 0.95);

    public OverloadSettings {
        if (!(heapStopKeepAlive > 0 && heapStopKeepAlive <= heapShed && heapShed <= 1)) {
            throw new IllegalArgumentException("heap_stop_keepalive " + heapStopKeepAlive + ", heap_shed " + heapShed
                    + " (expected: 0 < heap_stop_keepalive <= heap_shed <= 1)");
        }
    }
}
