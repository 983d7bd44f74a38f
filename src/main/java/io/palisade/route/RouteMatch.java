package io.palisade.route;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a request must look like for a route to take it. Empty parts match anything.
 *
 * @param pathPrefix segment-aware prefix: {@code /orders} matches {@code /orders} and {@code /orders/1}, not
 *                   {@code /ordersx}
 * @param path       exact path
 * @param methods    upper-case methods; empty = any. A path match with the wrong method is 405, not 404.
 * @param host       the Host header without port, case-insensitive; {@code *.example.com} matches one label
 * @param headers    header name to exact value
 */
public record RouteMatch(Optional<String> pathPrefix, Optional<String> path, Set<String> methods,
                         Optional<String> host, Map<String, String> headers) {}
