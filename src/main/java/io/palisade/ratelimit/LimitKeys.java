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
 */
public final class LimitKeys {
    private final String clientIp;
    private final String consumer;
    private final String path;
    private final Function<CharSequence, String> headers;

    private LimitKeys(String clientIp, String consumer, String path, Function<CharSequence, String> headers) {
        this.clientIp = Objects.requireNonNull(clientIp, "clientIp");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.path = Objects.requireNonNull(path, "path");
        this.headers = Objects.requireNonNull(headers, "headers");
    }

    /**
     * @param clientIp the client address as the gateway trusts it
     * @param consumer the authenticated consumer id, or {@code ""} for an anonymous request (or before auth)
     * @param path     the request path without the query
     * @param headers  looks a header up by name (case-insensitive); may answer {@code null} or {@code ""} for a missing
     *                 header, both meaning "absent"
     */
    public static LimitKeys of(String clientIp, String consumer, String path, Function<CharSequence, String> headers) {
        return new LimitKeys(clientIp, consumer, path, headers);
    }

    /** Reads headers from the Netty request headers (which are case-insensitive). */
    public static LimitKeys of(String clientIp, String consumer, String path, HttpHeaders headers) {
        Objects.requireNonNull(headers, "headers");
        return new LimitKeys(clientIp, consumer, path, headers::get);
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
        String v = headers.apply(lowerCaseName);
        return v == null ? "" : v;
    }
}
