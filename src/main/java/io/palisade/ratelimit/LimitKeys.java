package io.palisade.ratelimit;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.Objects;
import java.util.function.Function;

/**
 * What a request offers to rate-limit keys. Built once per request by the caller, on its event loop.
 *
 * <pre>{@code
 * LimitKeys keys = LimitKeys.of(clientIp, consumerId, path, request.headers());
 * }</pre>
 *
 * <p>Immutable to everyone outside this package. Inside it, {@link RateLimitFilter} {@link #reset}s one instance per
 * thread for each check decided synchronously, which keeps nothing of it; a check that may complete later gets an
 * instance of its own.
 */
public final class LimitKeys {
    private String clientIp;
    private String consumer;
    private String path;
    /** Exactly one of the two is set. */
    private Function<CharSequence, String> headers;
    private HttpHeaders httpHeaders;

    private LimitKeys(String clientIp, String consumer, String path, Function<CharSequence, String> headers,
                      HttpHeaders httpHeaders) {
        set(clientIp, consumer, path, headers, httpHeaders);
    }

    private void set(String clientIp, String consumer, String path, Function<CharSequence, String> headers,
                     HttpHeaders httpHeaders) {
        this.clientIp = Objects.requireNonNull(clientIp, "clientIp");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.path = Objects.requireNonNull(path, "path");
        this.headers = headers;
        this.httpHeaders = httpHeaders;
    }

    /** Makes this the keys of another request, as {@link #of(String, String, String, HttpHeaders)} would. */
    LimitKeys reset(String clientIp, String consumer, String path, HttpHeaders headers) {
        set(clientIp, consumer, path, null, Objects.requireNonNull(headers, "headers"));
        return this;
    }

    /**
     * @param clientIp the client address as the gateway trusts it
     * @param consumer the authenticated consumer id, or {@code ""} for an anonymous request (or before auth)
     * @param path     the request path without the query
     * @param headers  looks a header up by name (case-insensitive); may answer {@code null} or {@code ""} for a missing
     *                 header, both meaning "absent"
     */
    public static LimitKeys of(String clientIp, String consumer, String path, Function<CharSequence, String> headers) {
        return new LimitKeys(clientIp, consumer, path, Objects.requireNonNull(headers, "headers"), null);
    }

    /** Reads headers from the Netty request headers (which are case-insensitive). */
    public static LimitKeys of(String clientIp, String consumer, String path, HttpHeaders headers) {
        // Kept as they are rather than as a method reference: one object less per request.
        return new LimitKeys(clientIp, consumer, path, null, Objects.requireNonNull(headers, "headers"));
    }

    public String clientIp() {
        return clientIp;
    }

    /** The consumer id; empty for anonymous requests. */
    public String consumer() {
        return consumer;
    }

    public String path() {
        return path;
    }

    /** The header's value, or {@code ""} when absent. */
    public String header(String lowerCaseName) {
        String v = httpHeaders != null ? httpHeaders.get(lowerCaseName) : headers.apply(lowerCaseName);
        return v == null ? "" : v;
    }
}
