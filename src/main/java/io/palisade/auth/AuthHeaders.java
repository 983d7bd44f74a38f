package io.palisade.auth;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.palisade.filter.QueryParams;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
    // Names that carry their hash, rather than having it computed on every request that sets them.
    private static final AsciiString CONSUMER_ID_NAME = AsciiString.cached(CONSUMER_ID);
    private static final AsciiString CONSUMER_GROUPS_NAME = AsciiString.cached(CONSUMER_GROUPS);

    private AuthHeaders() {}

    /**
     * Removes every client-sent {@code X-Consumer-*} header; sets {@code X-Consumer-Id} and {@code X-Consumer-Groups}
     * (sorted, comma-joined) for an identified caller (nothing for anonymous ones); unless the route has
     * {@code forward_credentials: true}, removes the API key header (when the route accepts API keys) and the
     * {@code Authorization} header (when a JWT was the credential used); then adds the headers an external auth
     * service asked for.
     */
    public static void applyUpstream(HttpHeaders headers, AuthDecision.Allowed a, RoutePolicy p) {
        applyUpstream(headers, a, p, groupsHeader(a.identity()));
    }

    /** {@link #applyUpstream(HttpHeaders, AuthDecision.Allowed, RoutePolicy)} with the groups value already joined. */
    static void applyUpstream(HttpHeaders headers, AuthDecision.Allowed a, RoutePolicy p, String groupsHeader) {
        removeClientIdentityHeaders(headers);
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
            headers.set(CONSUMER_ID_NAME, who.consumerId());
            if (groupsHeader != null) {
                headers.set(CONSUMER_GROUPS_NAME, groupsHeader);
            }
        }
        if (!a.upstreamHeaders().isEmpty()) {
            for (Map.Entry<String, String> h : a.upstreamHeaders().entrySet()) {
                headers.set(h.getKey(), h.getValue());
            }
        }
    }

    /** The {@code X-Consumer-Groups} value of {@code who}: its groups sorted and comma-joined; null if it has none. */
    static String groupsHeader(Identity who) {
        return who.isAnonymous() || who.groups().isEmpty() ? null : String.join(",", new TreeSet<>(who.groups()));
    }

    /**
     * Removes every client-sent {@code X-Consumer-*} header: upstreams trust these to name the caller, so only the
     * gateway may set them. Runs on every request, so it compares names in place without allocating.
     */
    public static void removeClientIdentityHeaders(HttpHeaders headers) {
        List<CharSequence> spoofed = null;
        Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            CharSequence name = it.next().getKey();
            if (name.length() >= CONSUMER_PREFIX.length()
                    && AsciiString.regionMatches(name, true, 0, CONSUMER_PREFIX, 0, CONSUMER_PREFIX.length())) {
                if (spoofed == null) {
                    spoofed = new ArrayList<>(2);
                }
                spoofed.add(name);
            }
        }
        if (spoofed != null) {
            spoofed.forEach(headers::remove);
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
