package io.palisade.server;

import io.palisade.overload.OverloadSettings;
import java.time.Duration;

/**
 * @param limits        protocol limits
 * @param workerThreads data-side event loops; 0 means one per core
 * @param drainTimeout  how long a graceful shutdown waits for in-flight requests
 * @param requestId     whether a client's {@code X-Request-Id} is kept or replaced ({@code server.request_id})
 * @param trustedProxies whose {@code X-Forwarded-For} names the client ({@code server.trusted_proxies})
 * @param overload      heap thresholds for stopping keep-alive and shedding requests ({@code server.overload})
 */
public record ServerConfig(ServerLimits limits, int workerThreads, Duration drainTimeout, RequestIdPolicy requestId,
                           TrustedProxies trustedProxies, OverloadSettings overload) {
    /** With the default overload thresholds. */
    public ServerConfig(ServerLimits limits, int workerThreads, Duration drainTimeout, RequestIdPolicy requestId,
                        TrustedProxies trustedProxies) {
        this(limits, workerThreads, drainTimeout, requestId, trustedProxies, OverloadSettings.DEFAULTS);
    }

    /** {@code server.request_id}: what becomes of the {@code X-Request-Id} a client sends. */
    public enum RequestIdPolicy {
        /**
         * A client's id is kept when it is one safe token ({@code [A-Za-z0-9._:-]{1,128}}, sent once), so a caller
         * can follow its own id through the gateway's logs and the upstream; otherwise the gateway makes one.
         */
        KEEP,
        /**
         * The gateway always makes the id and replaces the client's: for a gateway facing clients it does not trust
         * to pick the ids its logs are searched by.
         */
        GENERATE
    }

    /** With {@link RequestIdPolicy#KEEP}, the default, and no trusted proxies. */
    public ServerConfig(ServerLimits limits, int workerThreads, Duration drainTimeout) {
        this(limits, workerThreads, drainTimeout, RequestIdPolicy.KEEP);
    }

    /** With no trusted proxies: the connection's peer is the client. */
    public ServerConfig(ServerLimits limits, int workerThreads, Duration drainTimeout, RequestIdPolicy requestId) {
        this(limits, workerThreads, drainTimeout, requestId, TrustedProxies.none());
    }
}
