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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The {@code routes} section, checked against the clusters and server limits already read. */
public final class RouteReader {
    public static final Set<String> KEYS = Set.of("name", "match", "cluster", "clusters", "strip_prefix", "timeouts", "websocket",
            "request", "ingest");
    private static final Set<String> INGEST_KEYS = Set.of("cluster", "max_record", "quota", "empty_body",
            "store_headers", "retry", "concurrency");
    /** Headers that carry credentials: an ingest route never keeps them, whatever store_headers says. */
    private static final Set<String> CREDENTIAL_HEADERS = Set.of("authorization", "proxy-authorization", "cookie");
    static final long DEFAULT_MAX_RECORD = 1024 * 1024;
    static final IngestAction.Retry DEFAULT_RETRY = new IngestAction.Retry(Duration.ofMillis(500),
            Duration.ofMinutes(5), 25, Duration.ofHours(24));
    /** Records may wait for delivery longer than any deadline: a week of an upstream's outage. */
    static final Duration MAX_INGEST_AGE = Duration.ofDays(7);
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
            ConfigNode ingestNode = r.get("ingest");
            Optional<IngestAction> ingest = Optional.empty();
            List<WeightedCluster> weighted;
            if (ingestNode.isPresent()) {
                for (String proxyKey : List.of("cluster", "clusters", "strip_prefix")) {
                    if (r.has(proxyKey)) {
                        r.get(proxyKey).invalid("absent on an ingest route (its ingest.cluster receives the records)");
                    }
                }
                if (name.isEmpty()) {
                    nameNode.error("missing (expected: a name on an ingest route; it appears in admin paths)");
                }
                ingest = ingest(ingestNode, clusters, server, authSettings);
                weighted = List.of();
            } else {
                weighted = clusters(r, clusters);
            }
            ConfigNode stripNode = r.get("strip_prefix");
            boolean stripPrefix = stripNode.bool(false);
            if (stripPrefix && match.pathPrefix().isEmpty()) {
                stripNode.invalid("false unless match.path_prefix is set");
            }
            ConfigNode timeouts = r.get("timeouts");
            Optional<Duration> requestTimeout = Optional.empty();
            Optional<Duration> idleTimeout = Optional.empty();
            Optional<Duration> websocketIdle = Optional.empty();
            if (timeouts.expectObject()) {
                timeouts.rejectUnknown(Set.of("request", "idle", "websocket_idle"));
                requestTimeout = timeouts.get("request").optDuration(ConfigNode.MAX_DURATION);
                idleTimeout = timeouts.get("idle").optDuration(ConfigNode.MAX_DURATION);
                websocketIdle = timeouts.get("websocket_idle").optDuration(ConfigNode.MAX_DURATION);
            }
            ConfigNode websocketNode = r.get("websocket");
            boolean websocket = websocketNode.bool(false);
            if (websocket && ingest.isPresent()) {
                websocketNode.invalid("false on an ingest route (it stores requests, it does not tunnel them)");
            }
            if (!websocket && websocketIdle.isPresent()) {
                timeouts.get("websocket_idle").invalid("absent unless websocket is true");
            }
            websocketIdle = websocket ? Optional.of(websocketIdle.orElse(RouteConfig.DEFAULT_WEBSOCKET_IDLE))
                    : Optional.empty();
            RequestPolicy request = request(r.get("request"), server);
            RoutePolicy auth = AuthSettings.parseRoute(r.get("auth"), authSettings);
            RouteLimits limits = RouteLimits.parse(r);
            routes.add(new RouteConfig(id, match, weighted, stripPrefix, requestTimeout, idleTimeout, request, auth,
                    limits, ingest, websocketIdle));
        }
        return List.copyOf(routes);
    }

    /**
     * A route's {@code ingest:} action. {@code quota} left out is {@link Long#MAX_VALUE}: the whole of
     * {@code ingest.max_disk}, which the loader checks every quota against.
     */
    private static Optional<IngestAction> ingest(ConfigNode node, Set<String> clusters, ServerLimits server,
                                                 AuthSettings auth) {
        if (!node.expectObject()) {
            return Optional.empty();
        }
        node.rejectUnknown(INGEST_KEYS);
        String cluster = clusterName(node.get("cluster"), clusters);
        ConfigNode maxRecordNode = node.get("max_record");
        long maxRecord = maxRecordNode.size(Math.min(DEFAULT_MAX_RECORD, server.maxBody()), 0, Long.MAX_VALUE);
        if (maxRecord > server.maxBody()) {
            maxRecordNode.invalid("<= server.limits.max_body " + Syntax.formatSize(server.maxBody()));
        }
        long quota = node.get("quota").size(Long.MAX_VALUE, 1, Long.MAX_VALUE);
        boolean acceptEmpty = node.get("empty_body").oneOf("reject", List.of("reject", "accept")).equals("accept");
        ConfigNode headersNode = node.get("store_headers");
        List<String> storeHeaders = new ArrayList<>();
        if (!headersNode.isPresent()) {
            storeHeaders.add("Content-Type");
        } else {
            Set<String> seen = new HashSet<>();
            String apiKeyHeader = auth.apiKey().header().toLowerCase(Locale.ROOT);
            List<ConfigNode> elements = headersNode.elements();
            for (ConfigNode element : elements) {
                Optional<String> header = element.optString();
                if (header.isEmpty()) {
                    continue;
                }
                String lower = header.get().toLowerCase(Locale.ROOT);
                if (!Syntax.isToken(header.get())) {
                    element.error(Syntax.quote(header.get()) + " (expected: a header name)");
                } else if (CREDENTIAL_HEADERS.contains(lower) || lower.equals(apiKeyHeader)) {
                    element.error(Syntax.quote(header.get()) + " (expected: a header that carries no credentials;"
                            + " ingest records never keep them)");
                } else if (lower.equals("idempotency-key")) {
                    element.error(Syntax.quote(header.get()) + " (expected: another header; deliveries carry the"
                            + " record id as Idempotency-Key)");
                } else if (seen.add(lower)) {
                    storeHeaders.add(header.get());
                }
            }
        }
        IngestAction.Retry retry = retry(node.get("retry"));
        int concurrency = node.get("concurrency").intValue(32, 1, 4096);
        return Optional.of(new IngestAction(cluster, maxRecord, quota, acceptEmpty, storeHeaders, retry,
                concurrency));
    }

    private static IngestAction.Retry retry(ConfigNode node) {
        if (!node.expectObject()) {
            return DEFAULT_RETRY;
        }
        node.rejectUnknown(Set.of("initial", "max", "attempts", "max_age"));
        IngestAction.Retry d = DEFAULT_RETRY;
        ConfigNode initialNode = node.get("initial");
        Duration initial = initialNode.duration(d.initial(), ConfigNode.MAX_DURATION);
        ConfigNode maxNode = node.get("max");
        Duration max = maxNode.duration(node.has("initial") && initial.compareTo(d.max()) > 0 ? initial : d.max(),
                ConfigNode.MAX_DURATION);
        if (max.compareTo(initial) < 0) {
            maxNode.invalid(">= retry.initial " + ConfigNode.format(initial));
        }
        int attempts = node.get("attempts").intValue(d.attempts(), 1, 1_000_000);
        Duration maxAge = node.get("max_age").duration(d.maxAge(), MAX_INGEST_AGE);
        return new IngestAction.Retry(initial, max, attempts, maxAge);
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
