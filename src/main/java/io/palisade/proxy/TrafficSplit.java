package io.palisade.proxy;

import io.netty.handler.codec.http.HttpRequest;

/**
 * Decides, once per request and before any policy runs, whether a canary snapshot serves it instead of the primary.
 * Called on event loops for every request while a canary runs: it must be quick, must not block and must not throw.
 * A sticky split (by client address, or by a credential) gives one client one version throughout.
 *
 * <pre>{@code
 * TrafficSplit tenPercent = (clientIp, request) -> Math.floorMod(clientIp.hashCode(), 100) < 10;
 * runtime.serve(baseline, canary, tenPercent);
 * }</pre>
 */
@FunctionalInterface
public interface TrafficSplit {
    /**
     * @param clientIp the client's address as the access log shows it
     * @param request  the request head (headers may be read, not changed)
     */
    boolean toCanary(String clientIp, HttpRequest request);
}
