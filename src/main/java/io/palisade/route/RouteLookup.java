package io.palisade.route;

import io.palisade.error.ErrorKind;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * What {@link RouteTable#find} decided: a route, or why there is none. Found results and single-route 405s are built
 * once per table, so a lookup allocates nothing.
 *
 * <pre>{@code
 * RouteLookup lookup = table.find(method, host, path, headers);
 * switch (lookup.kind()) {
 *     case FOUND -> forward(lookup.route().orElseThrow());
 *     case METHOD_NOT_ALLOWED -> reject(ErrorKind.METHOD_NOT_ALLOWED, "Allow", lookup.allowHeader());
 *     case NOT_FOUND -> reject(ErrorKind.ROUTE_NOT_FOUND);
 * }
 * }</pre>
 */
public final class RouteLookup {
    /** The outcome of a lookup. */
    public enum Kind {
        /** A route matched on everything, method included. */
        FOUND,
        /** No route matched on path, host and headers: 404. */
        NOT_FOUND,
        /** A route matched on path, host and headers but none on the method: 405 with an {@code Allow} header. */
        METHOD_NOT_ALLOWED
    }

    static final RouteLookup NOT_FOUND = new RouteLookup(Kind.NOT_FOUND, Optional.empty(), Set.of(),
            Optional.of(ErrorKind.ROUTE_NOT_FOUND));

    private final Kind kind;
    private final Optional<RouteConfig> route;
    private final Set<String> allowedMethods;
    private final String allowHeader;
    private final Optional<ErrorKind> error;

    private RouteLookup(Kind kind, Optional<RouteConfig> route, Set<String> allowedMethods,
                        Optional<ErrorKind> error) {
        this.kind = kind;
        this.route = route;
        this.allowedMethods = allowedMethods;
        this.allowHeader = String.join(", ", allowedMethods);
        this.error = error;
    }

    static RouteLookup found(RouteConfig route) {
        return new RouteLookup(Kind.FOUND, Optional.of(route), Set.of(), Optional.empty());
    }

    static RouteLookup methodNotAllowed(Set<String> allowed) {
        return new RouteLookup(Kind.METHOD_NOT_ALLOWED, Optional.empty(),
                Collections.unmodifiableSet(new LinkedHashSet<>(allowed)), Optional.of(ErrorKind.METHOD_NOT_ALLOWED));
    }

    public Kind kind() {
        return kind;
    }

    public boolean isFound() {
        return kind == Kind.FOUND;
    }

    /** The matched route; present exactly when {@link #kind()} is {@link Kind#FOUND}. */
    public Optional<RouteConfig> route() {
        return route;
    }

    /**
     * For {@link Kind#METHOD_NOT_ALLOWED}: the methods of every route that matched all but the method, in file order;
     * empty otherwise.
     */
    public Set<String> allowedMethods() {
        return allowedMethods;
    }

    /** {@link #allowedMethods()} as an {@code Allow} header value, e.g. {@code GET, POST}; empty unless 405. */
    public String allowHeader() {
        return allowHeader;
    }

    /** {@link ErrorKind#ROUTE_NOT_FOUND} or {@link ErrorKind#METHOD_NOT_ALLOWED} for a miss; empty when found. */
    public Optional<ErrorKind> error() {
        return error;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case FOUND -> "FOUND " + route.map(RouteConfig::id).orElse("");
            case NOT_FOUND -> "NOT_FOUND";
            case METHOD_NOT_ALLOWED -> "METHOD_NOT_ALLOWED [" + allowHeader + "]";
        };
    }
}
