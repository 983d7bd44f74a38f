package io.palisade.filter;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Optional;

/**
 * What a {@link GatewayFilter} sees of a request. The request's headers may be changed until it is sent upstream
 * (add identity headers, strip credentials); everything else is read-only.
 */
public interface RequestContext {
    HttpRequest request();

    /** The normalised path, without the query. */
    String path();

    /** The raw query string without '?', or "" when there is none. */
    String query();

    String clientIp();

    /**
     * The client's TLS certificate, when the connection is TLS and the certificate chained to the listener's
     * {@code client_ca_file}; empty otherwise.
     */
    default Optional<java.security.cert.X509Certificate> clientCertificate() {
        return Optional.empty();
    }

    String requestId();

    /** The matched route's id (its name, or the generated one), as metrics and logs name it. */
    String routeId();

    /** The route's position in the snapshot's route list, for per-route arrays built at load time. */
    int routeIndex();

    /**
     * The cluster the request is sent to: the route's, or on a route with weighted clusters the one picked for it,
     * by weight, at the first call (or at dispatch, if no filter asks); then fixed. A failover may still send an
     * attempt down that cluster's chain. "" on a route without clusters.
     */
    String upstreamCluster();

    EventLoop eventLoop();

    /** The consumer (tenant) the request was authenticated as, once a filter set it. */
    Optional<String> consumer();

    void consumer(String consumerId);

    /** Headers to add to the response the client gets, whatever it is (e.g. RateLimit headers). */
    HttpHeaders responseHeaders();

    /**
     * Runs {@code action} on the event loop when the exchange ends, however it ends (release permits, record latency).
     * An action that throws is logged and the others still run.
     */
    void onComplete(CompletionListener action);

    /** How the exchange ended, for completion listeners. */
    @FunctionalInterface
    interface CompletionListener {
        /**
         * @param status the status sent to the client, or 0 when the connection closed before one
         * @param upstreamNanos time spent waiting on the upstream, 0 when none was called
         */
        void completed(int status, long upstreamNanos);
    }
}
