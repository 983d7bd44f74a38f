package io.palisade.route;

import io.palisade.config.ConfigNode;
import io.palisade.config.Syntax;
import io.palisade.server.ServerLimits;
import io.palisade.upstream.ClusterReader;
import io.palisade.auth.AuthSettings;
import io.palisade.auth.RoutePolicy;
import io.palisade.ratelimit.RouteLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The {@code routes} section, checked against the clusters and server limits already read. */
public final class RouteReader {
    public static final Set<String> KEYS = Set.of("name", "match", "cluster", "clusters", "strip_prefix", "timeouts",
            "request");
    /** Route keys owned by other packages, parsed there from the same node. */
    public static final Set<String> KEYS_ELSEWHERE = Set.of("auth", "rate_limits", "concurrency");
    private static final Set<String> MATCH_KEYS = Set.of("path_prefix", "path", "methods", "host", "headers");
    private static final Set<String> WEIGHTED_KEYS = Set.of("name", "weight");

    private RouteReader() {}

    public static List<RouteConfig> read(ConfigNode node, Set<String> clusters, ServerLimits server,
                                  AuthSettings authSettings) {
        if (!node.isPresent()) {
            node.error("missing (expected: at least one route)");
            return List.of();
        }
        List<ConfigNode> elements = node.elements();
        if (node.isArray() && elements.isEmpty()) {
            node.invalid("at least one route");
        }
        List<RouteConfig> routes = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        for (int i = 0; i < elements.size(); i++) {
            ConfigNode r = elements.get(i);
            if (!r.isObject()) {
                r.invalid("a mapping with at least match and cluster (or clusters)");
                continue;
            }
            r.rejectUnknown(ClusterReader.union(KEYS, KEYS_ELSEWHERE));
            String id = "routes[" + i + "]";
            ConfigNode nameNode = r.get("name");
            Optional<String> name = nameNode.optString();
            if (name.isPresent()) {
                Integer first = names.putIfAbsent(name.get(), i);
                if (!Syntax.isName(name.get())) {
                    nameNode.error(Syntax.quote(name.get()) + " (expected: " + Syntax.NAME_RULE + ")");
                } else if (first != null) {
                    nameNode.error(Syntax.quote(name.get()) + " (expected: a name no other route has; routes["
                            + first + "] has it)");
                }
                id = name.get();
            }
            RouteMatch match = match(r.get("match"));
            List<WeightedCluster> weighted = clusters(r, clusters);
            ConfigNode stripNode = r.get("strip_prefix");
            boolean stripPrefix = stripNode.bool(false);
            if (stripPrefix && match.pathPrefix().isEmpty()) {
                stripNode.invalid("false unless match.path_prefix is set");
            }
            ConfigNode timeouts = r.get("timeouts");
            Optional<Duration> requestTimeout = Optional.empty();
            Optional<Duration> idleTimeout = Optional.empty();
            if (timeouts.expectObject()) {
                timeouts.rejectUnknown(Set.of("request", "idle"));
                requestTimeout = timeouts.get("request").optDuration(ConfigNode.MAX_DURATION);
                idleTimeout = timeouts.get("idle").optDuration(ConfigNode.MAX_DURATION);
            }
            RequestPolicy request = request(r.get("request"), server);
            RoutePolicy auth = AuthSettings.parseRoute(r.get("auth"), authSettings);
            RouteLimits limits = RouteLimits.parse(r);
            routes.add(new RouteConfig(id, match, weighted, stripPrefix, requestTimeout, idleTimeout, request, auth,
                    limits));
        }
        return List.copyOf(routes);
    }

    /** {@code cluster: NAME}, or {@code clusters: [ { name, weight }, ... ]}: exactly one of them. */
    private static List<WeightedCluster> clusters(ConfigNode route, Set<String> defined) {
        ConfigNode single = route.get("cluster");
        ConfigNode list = route.get("clusters");
        if (list.isPresent()) {
            if (single.isPresent()) {
                single.invalid("either cluster or clusters, not both");
            }
            return weighted(list, defined);
        }
        String name = clusterName(single, defined);
        return name.isEmpty() ? List.of() : List.of(new WeightedCluster(name, WeightedCluster.SHORTHAND_WEIGHT));
    }

    private static List<WeightedCluster> weighted(ConfigNode node, Set<String> defined) {
        List<ConfigNode> elements = node.elements();
        if (node.isArray() && elements.isEmpty()) {
            node.invalid("at least one cluster");
        }
        List<WeightedCluster> out = new ArrayList<>(elements.size());
        Map<String, Integer> seen = new HashMap<>();
        boolean complete = node.isArray();
        long sum = 0;
        for (int i = 0; i < elements.size(); i++) {
            ConfigNode entry = elements.get(i);
            if (!entry.isObject()) {
                entry.invalid("a mapping like { name: orders-eu, weight: 50 }");
                complete = false;
                continue;
            }
            entry.rejectUnknown(WEIGHTED_KEYS);
            ConfigNode nameNode = entry.get("name");
            String name = clusterName(nameNode, defined);
            ConfigNode weightNode = entry.get("weight");
            int weight = -1;
            if (!weightNode.isPresent()) {
                weightNode.error("missing (expected: an integer between 0 and " + WeightedCluster.MAX_WEIGHT + ")");
            } else {
                weight = weightNode.intValue(-1, 0, WeightedCluster.MAX_WEIGHT);
            }
            Integer first = name.isEmpty() ? null : seen.putIfAbsent(name, i);
            if (first != null) {
                nameNode.error(Syntax.quote(name) + " (expected: a cluster no other entry names; clusters[" + first
                        + "] names it)");
            }
            if (name.isEmpty() || weight < 0 || first != null) {
                complete = false;
                continue;
            }
            sum += weight;
            out.add(new WeightedCluster(name, weight));
        }
        // Only a list read without a mistake can be judged as a whole: a bad weight is no evidence of a zero sum.
        if (complete && !out.isEmpty() && sum == 0) {
            node.error("every weight is 0 (expected: at least one cluster with a weight above 0)");
        }
        return List.copyOf(out);
    }

    /** A defined cluster's name; "" (and an error) when missing or not defined. */
    private static String clusterName(ConfigNode node, Set<String> defined) {
        if (!node.isPresent()) {
            node.error("missing (expected: one of the defined clusters: " + Syntax.list(defined) + ")");
            return "";
        }
        Optional<String> name = node.optString();
        if (name.isPresent() && !defined.contains(name.get())) {
            node.error(Syntax.quote(name.get()) + " (expected: one of the defined clusters: " + Syntax.list(defined)
                    + ")");
            return "";
        }
        return name.orElse("");
    }

    private static RouteMatch match(ConfigNode node) {
        RouteMatch none = new RouteMatch(Optional.empty(), Optional.empty(), Set.of(), Optional.empty(), Map.of());
        if (!node.isPresent()) {
            node.error("missing (expected: a mapping with path_prefix or path)");
            return none;
        }
        if (!node.expectObject()) {
            return none;
        }
        node.rejectUnknown(MATCH_KEYS);
        Optional<String> pathPrefix = path(node.get("path_prefix"));
        Optional<String> path = path(node.get("path"));
        if (node.has("path_prefix") && node.has("path")) {
            node.get("path").invalid("either path or path_prefix, not both");
        } else if (!node.has("path_prefix") && !node.has("path")) {
            node.error("no path_prefix or path (expected: one of them)");
        }
        return new RouteMatch(pathPrefix, path, methods(node.get("methods")), host(node.get("host")),
                headers(node.get("headers")));
    }

    private static Optional<String> path(ConfigNode node) {
        Optional<String> p = node.optString();
        if (p.isPresent() && !Syntax.isNormalisedPath(p.get())) {
            node.invalid(Syntax.PATH_RULE);
            return Optional.empty();
        }
        return p;
    }

    private static Set<String> methods(ConfigNode node) {
        if (!node.isPresent()) {
            return Set.of();
        }
        List<ConfigNode> elements = node.isTextual() ? List.of(node) : node.elements();
        if (node.isArray() && elements.isEmpty()) {
            node.invalid("at least one method; leave methods out to allow any");
        }
        Set<String> methods = new LinkedHashSet<>();
        for (ConfigNode element : elements) {
            Optional<String> method = element.optString();
            if (method.isEmpty()) {
                continue;
            }
            if (!Syntax.isToken(method.get())) {
                element.error(Syntax.quote(method.get()) + " (expected: an HTTP method such as GET)");
                continue;
            }
            methods.add(method.get().toUpperCase(Locale.ROOT));
        }
        return Collections.unmodifiableSet(methods);
    }

    private static Optional<String> host(ConfigNode node) {
        Optional<String> host = node.optString().map(h -> h.toLowerCase(Locale.ROOT));
        if (host.isPresent() && !Syntax.isHostPattern(host.get())) {
            node.invalid("a host name without port, optionally starting with *.");
            return Optional.empty();
        }
        return host;
    }

    private static Map<String, String> headers(ConfigNode node) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> entry : node.entries().entrySet()) {
            ConfigNode valueNode = entry.getValue();
            if (!Syntax.isToken(entry.getKey())) {
                valueNode.error(Syntax.quote(entry.getKey()) + " (expected: a header name)");
                continue;
            }
            if (!valueNode.isPresent()) {
                valueNode.error("missing (expected: the exact header value to match)");
                continue;
            }
            Optional<String> value = valueNode.optString();
            if (value.isEmpty()) {
                continue;
            }
            if (!Syntax.isHeaderValue(value.get())) {
                valueNode.error(Syntax.quote(value.get())
                        + " (expected: a header value without control characters or surrounding spaces)");
                continue;
            }
            headers.put(entry.getKey(), value.get());
        }
        return Collections.unmodifiableMap(headers);
    }

    private static RequestPolicy request(ConfigNode node, ServerLimits server) {
        if (!node.expectObject()) {
            return new RequestPolicy(Optional.empty(), false);
        }
        node.rejectUnknown(Set.of("max_body", "require_body"));
        ConfigNode maxBodyNode = node.get("max_body");
        Optional<Long> maxBody = maxBodyNode.optSize(0, Long.MAX_VALUE);
        if (maxBody.isPresent() && maxBody.get() > server.maxBody()) {
            maxBodyNode.invalid("<= server.limits.max_body " + Syntax.formatSize(server.maxBody()));
        }
        ConfigNode requireNode = node.get("require_body");
        boolean requireBody = requireNode.bool(false);
        if (requireBody && maxBody.isPresent() && maxBody.get() == 0) {
            requireNode.invalid("false when max_body is 0");
        }
        return new RequestPolicy(maxBody, requireBody);
    }
}
