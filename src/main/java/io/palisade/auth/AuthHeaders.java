package io.palisade.auth;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns an allowed decision into the headers the upstream sees.
 *
 * <pre>{@code
 * if (decision instanceof AuthDecision.Allowed a) {
 *     AuthHeaders.applyUpstream(request.headers(), a, policy);
 *     request.setUri(AuthHeaders.upstreamUri(request.uri(), policy));
 * }
 * }</pre>
 */
public final class AuthHeaders {
    public static final String CONSUMER_ID = "X-Consumer-Id";
    public static final String CONSUMER_GROUPS = "X-Consumer-Groups";
    private static final String CONSUMER_PREFIX = "x-consumer-";

    private AuthHeaders() {}

    /**
     * Removes every client-sent {@code X-Consumer-*} header; sets {@code X-Consumer-Id} and {@code X-Consumer-Groups}
     * (sorted, comma-joined) for an identified caller (nothing for anonymous ones); unless the route has
     * {@code forward_credentials: true}, removes the API key header (when the route accepts API keys) and the
     * {@code Authorization} header (when a JWT was the credential used); then adds the headers an external auth
     * service asked for.
     */
    public static void applyUpstream(HttpHeaders headers, AuthDecision.Allowed a, RoutePolicy p) {
        List<String> spoofed = new ArrayList<>();
        for (String name : headers.names()) {
            if (name.toLowerCase(Locale.ROOT).startsWith(CONSUMER_PREFIX)) {
                spoofed.add(name);
            }
        }
        spoofed.forEach(headers::remove);
        Identity who = a.identity();
        if (p.requiresAuth() && !p.forwardCredentials()) {
            if (p.anyOf().contains(AuthSettings.API_KEY)) {
                headers.remove(p.apiKey().header());
            }
            if (who.provider().startsWith(AuthSettings.JWT_PREFIX)) {
                headers.remove(HttpHeaderNames.AUTHORIZATION);
            }
        }
        if (!who.isAnonymous()) {
            headers.set(CONSUMER_ID, who.consumerId());
            if (!who.groups().isEmpty()) {
                headers.set(CONSUMER_GROUPS, String.join(",", new TreeSet<>(who.groups())));
            }
        }
        for (Map.Entry<String, String> h : a.upstreamHeaders().entrySet()) {
            headers.set(h.getKey(), h.getValue());
        }
    }

    /** The request URI to send upstream: without the API key query parameter, unless the route forwards it. */
    public static String upstreamUri(String uri, RoutePolicy p) {
        if (p.requiresAuth() && !p.forwardCredentials() && p.anyOf().contains(AuthSettings.API_KEY)
                && p.apiKey().query().isPresent()) {
            return stripQueryParam(uri, p.apiKey().query().get());
        }
        return uri;
    }

    /**
     * {@code uri} without any {@code name} query parameter (names compared after percent-decoding, as when the key
     * is read); the URI unchanged when it has none.
     */
    public static String stripQueryParam(String uri, String name) {
        return QueryParams.strip(uri, name);
    }
}
