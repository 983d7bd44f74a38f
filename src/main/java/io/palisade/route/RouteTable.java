package io.palisade.route;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The routes of one config snapshot, ready for matching on the event loop: everything that can be worked out from the
 * config (lower-cased hosts, wildcard suffixes, header names, results) is worked out in {@link #of}, so
 * {@link #find} does plain string comparisons and allocates nothing when a route is found.
 *
 * <pre>{@code
 * RouteTable table = RouteTable.of(config.routes());
 * Optional<String> path = RouteTable.normalizePath(rawPath);          // empty: answer 400
 * RouteLookup lookup = table.find("GET", "api.example.com:8080", path.get(), request.headers());
 * String upstreamTarget = RouteTable.rewritePath(lookup.route().get(), path.get() + query);
 * }</pre>
 *
 * <p>Matching rules, first match in file order wins:
 * <ul>
 *   <li>{@code path} is exact; {@code path_prefix} is segment-aware: {@code /orders} matches {@code /orders},
 *       {@code /orders/} and {@code /orders/1}, never {@code /ordersx}; {@code /} matches every path; a prefix ending
 *       in {@code /} ({@code /orders/}) requires that slash. Paths compare case-sensitively, as written (nothing is
 *       percent-decoded).</li>
 *   <li>{@code host} compares case-insensitively with the Host header minus its port and any trailing dot;
 *       {@code *.example.com} matches exactly one more label ({@code a.example.com}, not {@code example.com} nor
 *       {@code a.b.example.com}).</li>
 *   <li>{@code headers}: the request has the header (name case-insensitive) with exactly that value; when it is
 *       repeated, any one of its values may match.</li>
 *   <li>{@code methods}: exact, case-sensitive (methods are); empty allows any. A route that matches everything but the
 *       method makes the answer 405 rather than 404, unless a later route matches fully.</li>
 * </ul>
 */
public final class RouteTable {
    private final Entry[] entries;
    private final List<RouteConfig> routes;

    private RouteTable(Entry[] entries, List<RouteConfig> routes) {
        this.entries = entries;
        this.routes = routes;
    }

    /**
     * Builds a table from routes as the config loader validated them.
     *
     * @throws IllegalArgumentException if a route has neither path nor path_prefix
     */
    public static RouteTable of(List<RouteConfig> routes) {
        Entry[] entries = new Entry[routes.size()];
        for (int i = 0; i < entries.length; i++) {
            entries[i] = new Entry(routes.get(i));
        }
        return new RouteTable(entries, List.copyOf(routes));
    }

    /** The routes, in match order. */
    public List<RouteConfig> routes() {
        return routes;
    }

    /**
     * Finds the route for a request.
     *
     * @param method  the request method, as sent
     * @param host    the Host header (or the authority of an absolute-form target), port allowed; empty when absent
     * @param path    the path from {@link #normalizePath}, without the query
     * @param headers the request headers ({@code EmptyHttpHeaders.INSTANCE} when there are none)
     */
    public RouteLookup find(String method, String host, String path, HttpHeaders headers) {
        int hostEnd = -1;
        RouteLookup methodMiss = null;
        Set<String> allowed = null;
        for (Entry e : entries) {
            if (!e.matchesPath(path)) {
                continue;
            }
            if (e.hasHost()) {
                if (hostEnd < 0) {
                    hostEnd = hostEnd(host);
                }
                if (!e.matchesHost(host, hostEnd)) {
                    continue;
                }
            }
            if (!e.matchesHeaders(headers)) {
                continue;
            }
            if (e.allows(method)) {
                return e.found;
            }
            // The error path may allocate: only when several routes disagree on methods.
            if (methodMiss == null) {
                methodMiss = e.methodMiss;
            } else {
                if (allowed == null) {
                    allowed = new LinkedHashSet<>(methodMiss.allowedMethods());
                }
                allowed.addAll(e.methodSet);
            }
        }
        if (allowed != null) {
            return RouteLookup.methodNotAllowed(allowed);
        }
        return methodMiss != null ? methodMiss : RouteLookup.NOT_FOUND;
    }

    /** Where the host name ends in a Host header value: before the port, and before a trailing root dot. */
    static int hostEnd(String host) {
        int end = host.length();
        if (end > 0 && host.charAt(0) == '[') {
            int close = host.indexOf(']');
            return close < 0 ? end : close + 1;
        }
        int colon = host.indexOf(':');
        if (colon >= 0) {
            end = colon;
        }
        if (end > 0 && host.charAt(end - 1) == '.') {
            end--;
        }
        return end;
    }

    /**
     * The upstream request target for {@code strip_prefix}: the route's prefix removed, the query kept, and always
     * starting with {@code /} ({@code /orders/1?x=2} with prefix {@code /orders} gives {@code /1?x=2};
     * {@code /orders?x=2} gives {@code /?x=2}). Returns {@code pathAndQuery} unchanged when the route does not strip or
     * the target does not start with its prefix.
     *
     * @param pathAndQuery the normalised path of the request that matched {@code route}, plus its query if any
     */
    public static String rewritePath(RouteConfig route, String pathAndQuery) {
        Optional<String> prefix = route.match().pathPrefix();
        if (!route.stripPrefix() || prefix.isEmpty()) {
            return pathAndQuery;
        }
        String p = prefix.get();
        boolean slashEnded = p.endsWith("/");
        int cut = slashEnded ? p.length() - 1 : p.length();
        if (!pathAndQuery.regionMatches(0, p, 0, cut)) {
            return pathAndQuery;
        }
        if (cut == pathAndQuery.length()) {
            return "/";
        }
        char next = pathAndQuery.charAt(cut);
        if (next == '/') {
            return pathAndQuery.substring(cut);
        }
        if (next == '?') {
            return "/" + pathAndQuery.substring(cut);
        }
        // "/ordersx" never matched prefix "/orders"; leave a target we did not route untouched.
        return pathAndQuery;
    }

    /**
     * Checks and normalises a request path before routing; empty means the request gets 400.
     *
     * <p>Nothing is percent-decoded: the path is forwarded as the client wrote it, apart from what this removes, so the
     * route that matched and the upstream see the same path. What it does:
     * <ul>
     *   <li>Refuses anything not in origin form: it must start with {@code /} (an absolute-form target is converted
     *       to its path by the caller first; {@code *} is refused).</li>
     *   <li>Refuses control characters (also percent-encoded ones such as {@code %00}), spaces, non-ASCII bytes,
     *       {@code \} (a separator on some servers), {@code #}, {@code ?} (pass the path without its query) and
     *       malformed percent escapes, all of which RFC 3986 forbids and upstreams disagree about.</li>
     *   <li>Collapses {@code //} to {@code /} and resolves {@code .} and {@code ..} segments (also written
     *       {@code %2e}, which many servers decode), so {@code /public/../admin} is routed, and forwarded, as
     *       {@code /admin}. A {@code ..} that would climb above the root is refused, as is a dot segment with
     *       path parameters ({@code ..;x}), which servlet containers treat as {@code ..}.</li>
     *   <li>Keeps a trailing slash; {@code %2F} and {@code %5C} stay as written: they are data, not separators, and
     *       an upstream that decodes them before routing must be protected by its own rules.</li>
     * </ul>
     * Returns the same String instance when nothing needed changing.
     */
    public static Optional<String> normalizePath(String rawPath) {
        int len = rawPath.length();
        if (len == 0 || rawPath.charAt(0) != '/') {
            return Optional.empty();
        }
        boolean rewrite = false;
        int segmentStart = 1;
        for (int i = 1; i <= len; i++) {
            if (i == len || rawPath.charAt(i) == '/') {
                int dots = dotSegment(rawPath, segmentStart, i);
                if (dots < 0) {
                    return Optional.empty();
                }
                if (dots > 0 || (i == segmentStart && i < len)) {
                    rewrite = true;
                }
                segmentStart = i + 1;
                continue;
            }
            char c = rawPath.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '#' || c == '?') {
                return Optional.empty();
            }
            if (c == '%') {
                if (i + 2 >= len || !isHex(rawPath.charAt(i + 1)) || !isHex(rawPath.charAt(i + 2))) {
                    return Optional.empty();
                }
                int decoded = Character.digit(rawPath.charAt(i + 1), 16) * 16 + Character.digit(rawPath.charAt(i + 2),
                        16);
                if (decoded < 0x20 || decoded == 0x7f) {
                    return Optional.empty();
                }
            }
        }
        return rewrite ? resolve(rawPath) : Optional.of(rawPath);
    }

    /** Drops empty and {@code .} segments and applies {@code ..}; the characters were already checked. */
    private static Optional<String> resolve(String raw) {
        int len = raw.length();
        StringBuilder out = new StringBuilder(len);
        boolean trailingSlash = false;
        int i = 1;
        while (i <= len) {
            int end = raw.indexOf('/', i);
            if (end < 0) {
                end = len;
            }
            boolean last = end == len;
            int dots = dotSegment(raw, i, end);
            if (end == i || dots == 1) {
                trailingSlash = last;
            } else if (dots == 2) {
                if (out.isEmpty()) {
                    return Optional.empty();
                }
                out.setLength(out.lastIndexOf("/"));
                trailingSlash = last;
            } else {
                out.append('/').append(raw, i, end);
                trailingSlash = false;
            }
            i = end + 1;
        }
        if (out.isEmpty() || trailingSlash) {
            out.append('/');
        }
        return Optional.of(out.toString());
    }

    /**
     * 1 for a {@code .} segment, 2 for {@code ..} (dots possibly written {@code %2e}), 0 for any other segment, -1 for
     * a dot segment with parameters ({@code ..;jsessionid=x}).
     */
    private static int dotSegment(String s, int from, int to) {
        int dots = 0;
        int i = from;
        while (i < to) {
            char c = s.charAt(i);
            if (c == '.') {
                i++;
            } else if (c == '%' && i + 3 <= to && s.charAt(i + 1) == '2' && (s.charAt(i + 2) | 0x20) == 'e') {
                i += 3;
            } else if (c == ';' && (dots == 1 || dots == 2)) {
                return -1;
            } else {
                return 0;
            }
            dots++;
        }
        return dots <= 2 ? dots : 0;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** One route, precomputed for matching. */
    private static final class Entry {
        private final String exactPath;
        private final String prefix;
        private final boolean prefixEndsWithSlash;
        private final String exactHost;
        private final String wildcardSuffix;
        private final AsciiString[] headerNames;
        private final String[] headerValues;
        private final String[] methods;
        final Set<String> methodSet;
        final RouteLookup found;
        final RouteLookup methodMiss;

        Entry(RouteConfig route) {
            RouteMatch m = route.match();
            if (m.path().isEmpty() && m.pathPrefix().isEmpty()) {
                throw new IllegalArgumentException("route " + route.id() + " has neither path nor path_prefix");
            }
            exactPath = m.path().orElse(null);
            prefix = m.path().isPresent() ? null : m.pathPrefix().orElseThrow();
            prefixEndsWithSlash = prefix != null && prefix.endsWith("/");
            String host = m.host().map(h -> h.toLowerCase(Locale.ROOT)).orElse(null);
            boolean wildcard = host != null && host.startsWith("*.");
            exactHost = wildcard ? null : host;
            wildcardSuffix = wildcard ? host.substring(1) : null;
            List<Map.Entry<String, String>> headers = new ArrayList<>(m.headers().entrySet());
            headerNames = new AsciiString[headers.size()];
            headerValues = new String[headers.size()];
            for (int i = 0; i < headers.size(); i++) {
                headerNames[i] = AsciiString.cached(headers.get(i).getKey().toLowerCase(Locale.ROOT));
                headerValues[i] = headers.get(i).getValue();
            }
            methods = m.methods().toArray(String[]::new);
            methodSet = m.methods();
            found = RouteLookup.found(route);
            methodMiss = RouteLookup.methodNotAllowed(m.methods());
        }

        boolean matchesPath(String path) {
            if (exactPath != null) {
                return exactPath.equals(path);
            }
            return path.startsWith(prefix) && (path.length() == prefix.length() || prefixEndsWithSlash
                    || path.charAt(prefix.length()) == '/');
        }

        boolean hasHost() {
            return exactHost != null || wildcardSuffix != null;
        }

        boolean matchesHost(String host, int end) {
            if (exactHost != null) {
                return end == exactHost.length() && host.regionMatches(true, 0, exactHost, 0, end);
            }
            int labelEnd = end - wildcardSuffix.length();
            return labelEnd > 0 && host.regionMatches(true, labelEnd, wildcardSuffix, 0, wildcardSuffix.length())
                    && host.lastIndexOf('.', labelEnd - 1) < 0;
        }

        boolean matchesHeaders(HttpHeaders headers) {
            for (int i = 0; i < headerNames.length; i++) {
                if (!headers.contains(headerNames[i], headerValues[i], false)) {
                    return false;
                }
            }
            return true;
        }

        boolean allows(String method) {
            if (methods.length == 0) {
                return true;
            }
            for (String m : methods) {
                if (m.equals(method)) {
                    return true;
                }
            }
            return false;
        }
    }
}
