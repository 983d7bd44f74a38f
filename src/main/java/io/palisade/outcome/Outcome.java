package io.palisade.outcome;

import io.palisade.error.ErrorKind;
import java.util.Objects;
import java.util.Optional;

/**
 * How one request ended, published once when the gateway is done with it. Text fields that do not apply are
 * {@code ""}, never null; the strings are the ones the request path already holds (no copies are made per request).
 *
 * <pre>{@code
 * outcomes.subscribe(o -> {
 *     if (o.ending() == Outcome.Ending.ANSWERED && o.error().isPresent()) {
 *         rejected.increment(o.error().get());                         // the gateway answered with its own error
 *     }
 * });
 * }</pre>
 *
 * @param requestId       the request's id, as in its {@code X-Request-Id} and in error bodies
 * @param configVersion   the version of the config that served the request
 * @param startNanos      when the gateway began reading the request, on {@link System#nanoTime()}'s clock: only
 *                        differences to other such readings mean anything
 * @param clientIp        the client's address
 * @param method          the request method; {@code ""} when the request head could not be decoded
 * @param path            the path without the query (normalised when the request was routed); {@code ""} when it
 *                        is unknown or unfit to log (an undecodable head, a URI over the limit)
 * @param query           the raw query without {@code ?}, or {@code ""}
 * @param route           the id of the route that served the request, or {@link #UNMATCHED_ROUTE}
 * @param cluster         the cluster of the last upstream attempt, or {@code ""} when none was chosen
 * @param endpoint        {@code host:port} of the last upstream attempt, or {@code ""} when none was made
 * @param consumer        the consumer (tenant) the request was authenticated as, or {@code ""}
 * @param status          the status sent to the client (the upstream's, or the gateway's own); 0 when none was sent
 * @param ending          how the exchange ended
 * @param error           why the gateway answered with an error, cut the response or the request failed; empty for a
 *                        proxied response (an upstream 5xx included) and when the client simply left
 * @param bytesIn         request body bytes read from the client
 * @param bytesOut        response body bytes sent to the client, proxied or the gateway's own error body
 * @param totalNanos      from {@code startNanos} until the gateway was done with the request
 * @param upstreamNanos   from sending the last attempt upstream until its response head (or its failure); 0 when no
 *                        upstream was called
 * @param attempts        upstream attempts made (retries included)
 * @param upstreamFailure how the last failed attempt failed ({@code connect}, {@code connect_timeout},
 *                        {@code timeout}, {@code reset}, {@code protocol}, {@code 5xx}), or {@code ""}
 */
public record Outcome(String requestId, String configVersion, long startNanos, String clientIp, String method,
                      String path, String query, String route, String cluster, String endpoint, String consumer,
                      int status, Ending ending, Optional<ErrorKind> error, long bytesIn, long bytesOut,
                      long totalNanos, long upstreamNanos, int attempts, String upstreamFailure) {

    /** The route of a request that matched none, or that the protocol handlers refused before routing. */
    public static final String UNMATCHED_ROUTE = "unmatched";

    private static final ErrorKind[] KINDS = ErrorKind.values();
    /** One {@code Optional} per kind, made once, so building an outcome allocates nothing but the record. */
    private static final Optional<?>[] ERRORS = new Optional<?>[KINDS.length];

    static {
        for (ErrorKind kind : KINDS) {
            ERRORS[kind.ordinal()] = Optional.of(kind);
        }
    }

    /** How an exchange ended. */
    public enum Ending {
        /** A whole response went out: the upstream's, or the gateway's own ({@link #error()} then says why). */
        ANSWERED,
        /** The response had begun when the exchange failed: the client saw a cut connection, not a whole answer. */
        CUT,
        /** The client closed its connection before a whole response went out. */
        CLIENT_GONE
    }

    public Outcome {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(configVersion, "configVersion");
        Objects.requireNonNull(clientIp, "clientIp");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(ending, "ending");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(upstreamFailure, "upstreamFailure");
    }

    /** {@code Optional.of(kind)} without allocating one: for building outcomes on the request path. */
    @SuppressWarnings("unchecked")
    public static Optional<ErrorKind> errorOf(ErrorKind kind) {
        return (Optional<ErrorKind>) ERRORS[kind.ordinal()];
    }
}
