package io.palisade.upstream;

import io.palisade.config.Address;
import io.palisade.config.AddressReader;
import io.palisade.config.ConfigNode;
import io.palisade.config.Syntax;
import io.palisade.tls.TlsReader;
import io.palisade.tls.UpstreamTls;
import io.palisade.upstream.balance.BalancerKind;
import io.palisade.upstream.health.HealthCheckConfig;
import io.palisade.upstream.health.OutlierConfig;
import io.palisade.ratelimit.AdaptiveConcurrencySettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The {@code clusters} section. Defaults are listed in docs/configuration.md. */
public final class ClusterReader {
    public static final Set<String> KEYS = Set.of("endpoints", "balancer", "hash_on", "timeouts", "health_check", "outlier",
            "limits", "retries", "failover", "tls", "protocol");
    /** Cluster keys owned by other packages, parsed there from the same node. */
    public static final Set<String> KEYS_ELSEWHERE = Set.of("adaptive_concurrency");

    public static final Timeouts DEFAULT_TIMEOUTS = new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(15),
            Duration.ofSeconds(60));
    public static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_HEALTH_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_UNHEALTHY_AFTER = 3;
    public static final int DEFAULT_HEALTHY_AFTER = 2;
    public static final OutlierConfig DEFAULT_OUTLIER = new OutlierConfig(5, Duration.ofSeconds(30), Duration.ofMinutes(5),
            50, 50);
    public static final Set<String> OUTLIER_KEYS = Set.of("consecutive_failures", "ejection", "max_ejection",
            "max_ejection_percent", "panic_threshold");
    public static final CircuitLimits DEFAULT_LIMITS = new CircuitLimits(1024, 256, 1024);
    public static final RetryConfig DEFAULT_RETRIES = new RetryConfig(1, 0.2);
    public static final int MAX_WEIGHT = 1000;
    public static final int MAX_RETRY_ATTEMPTS = 10;

    private static final List<String> BALANCERS = List.of("round_robin", "weighted", "least_request",
            "consistent_hash");
    private static final String HASH_ON_FORMS = "header:NAME, query:NAME, client_ip or path";

    private ClusterReader() {}

    public static Map<String, ClusterConfig> read(ConfigNode node) {
        Map<String, ClusterConfig> clusters = new LinkedHashMap<>();
        if (!node.isPresent()) {
            node.error("missing (expected: at least one cluster)");
            return clusters;
        }
        Map<String, ConfigNode> entries = node.entries();
        if (node.isObject() && entries.isEmpty()) {
            node.invalid("at least one cluster");
        }
        for (Map.Entry<String, ConfigNode> entry : entries.entrySet()) {
            String name = entry.getKey();
            ConfigNode c = entry.getValue();
            if (!Syntax.isName(name)) {
                c.error(Syntax.quote(name) + " (expected: " + Syntax.NAME_RULE + ")");
            }
            if (!c.isObject()) {
                c.invalid("a mapping with at least endpoints");
                continue;
            }
            clusters.put(name, cluster(name, c));
        }
        checkFailover(node, clusters);
        return Collections.unmodifiableMap(clusters);
    }

    private static ClusterConfig cluster(String name, ConfigNode c) {
        c.rejectUnknown(union(KEYS, KEYS_ELSEWHERE));
        List<EndpointConfig> endpoints = endpoints(c.get("endpoints"));
        boolean weighted = endpoints.stream().anyMatch(e -> e.weight() != 1);
        BalancerKind balancer = BalancerKind.valueOf(c.get("balancer")
                .oneOf(weighted ? "weighted" : "round_robin", BALANCERS).toUpperCase(Locale.ROOT));
        Optional<HashOn> hashOn = hashOn(c.get("hash_on"), balancer);
        Timeouts timeouts = timeouts(c.get("timeouts"));
        Optional<HealthCheckConfig> healthCheck = healthCheck(c.get("health_check"));
        OutlierConfig outlier = outlier(c.get("outlier"));
        CircuitLimits limits = limits(c.get("limits"));
        RetryConfig retries = retries(c.get("retries"));
        Optional<String> failover = c.get("failover").optString();
        AdaptiveConcurrencySettings adaptive = AdaptiveConcurrencySettings.parse(c.get("adaptive_concurrency"));
        Optional<UpstreamTls> tls = TlsReader.upstream(c.get("tls"));
        UpstreamProtocol protocol = protocol(c.get("protocol"), healthCheck.isPresent(), tls.isPresent());
        return new ClusterConfig(name, endpoints, balancer, hashOn, timeouts, healthCheck, outlier, limits, retries,
                failover, adaptive, tls, protocol);
    }

    private static UpstreamProtocol protocol(ConfigNode node, boolean healthChecked, boolean tls) {
        String p = node.oneOf("http1", List.of("http1", "h2c", "h2"));
        if (p.equals("h2") && !tls) {
            node.error("h2 without tls (expected: a tls block, e.g. tls: {} or tls: { ca_file: ... }; HTTP/2 in"
                    + " cleartext is h2c)");
            return UpstreamProtocol.HTTP1;
        }
        if (p.equals("h2c") && tls) {
            node.error("h2c with tls (expected: h2c without a tls block; h2c is HTTP/2 in cleartext, h2 over TLS)");
            return UpstreamProtocol.HTTP1;
        }
        if (!p.equals("http1") && healthChecked) {
            // The active checker speaks HTTP/1.1, which an HTTP/2-only server (a gRPC server) never answers.
            node.error(p + " with a health_check (expected: no health_check on an " + p + " cluster, whose endpoints"
                    + " may not speak HTTP/1.1; outlier detection still ejects failing endpoints)");
        }
        return UpstreamProtocol.valueOf(p.toUpperCase(Locale.ROOT));
    }

    private static List<EndpointConfig> endpoints(ConfigNode node) {
        if (!node.isPresent()) {
            node.error("missing (expected: at least one endpoint)");
            return List.of();
        }
        List<ConfigNode> elements = node.elements();
        if (node.isArray() && elements.isEmpty()) {
            node.invalid("at least one endpoint");
        }
        List<EndpointConfig> out = new ArrayList<>();
        Map<Address, Integer> seen = new HashMap<>();
        for (int i = 0; i < elements.size(); i++) {
            ConfigNode e = elements.get(i);
            Optional<Address> address;
            int weight = 1;
            if (e.isObject()) {
                e.rejectUnknown(Set.of("address", "weight"));
                address = AddressReader.required(e.get("address"), 1);
                weight = e.get("weight").intValue(1, 1, MAX_WEIGHT);
            } else if (e.raw().isValueNode()) {
                address = AddressReader.read(e, 1);
            } else {
                e.invalid(AddressReader.FORMAT + ", or a mapping with address and weight");
                continue;
            }
            if (address.isEmpty()) {
                continue;
            }
            Integer first = seen.putIfAbsent(address.get(), i);
            if (first != null) {
                e.error(address.get() + " (expected: each endpoint once; also at endpoints[" + first + "])");
                continue;
            }
            out.add(new EndpointConfig(address.get(), weight));
        }
        return List.copyOf(out);
    }

    private static Optional<HashOn> hashOn(ConfigNode node, BalancerKind balancer) {
        if (balancer != BalancerKind.CONSISTENT_HASH) {
            if (node.isPresent()) {
                node.invalid("only with balancer: consistent_hash");
            }
            return Optional.empty();
        }
        if (!node.isPresent()) {
            node.error("missing (expected: " + HASH_ON_FORMS + ", required by balancer: consistent_hash)");
            return Optional.empty();
        }
        Optional<String> text = node.optString();
        if (text.isEmpty()) {
            return Optional.empty();
        }
        String v = text.get();
        int colon = v.indexOf(':');
        String kind = (colon < 0 ? v : v.substring(0, colon)).toLowerCase(Locale.ROOT);
        String name = colon < 0 ? "" : v.substring(colon + 1);
        Optional<HashOn> parsed = switch (kind) {
            case "client_ip" -> colon < 0 ? Optional.of(new HashOn(HashOn.Source.CLIENT_IP, "")) : Optional.empty();
            case "path" -> colon < 0 ? Optional.of(new HashOn(HashOn.Source.PATH, "")) : Optional.empty();
            case "header" -> Syntax.isToken(name) ? Optional.of(new HashOn(HashOn.Source.HEADER, name))
                    : Optional.empty();
            case "query" -> isQueryName(name) ? Optional.of(new HashOn(HashOn.Source.QUERY, name)) : Optional.empty();
            default -> Optional.empty();
        };
        if (parsed.isEmpty()) {
            node.invalid(HASH_ON_FORMS);
        }
        return parsed;
    }

    private static boolean isQueryName(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '&' || c == '=' || c == '#' || c == '?') {
                return false;
            }
        }
        return true;
    }

    private static Timeouts timeouts(ConfigNode node) {
        if (!node.expectObject()) {
            return DEFAULT_TIMEOUTS;
        }
        node.rejectUnknown(Set.of("connect", "request", "idle"));
        return new Timeouts(
                node.get("connect").duration(DEFAULT_TIMEOUTS.connect(), ConfigNode.MAX_DURATION),
                node.get("request").duration(DEFAULT_TIMEOUTS.request(), ConfigNode.MAX_DURATION),
                node.get("idle").duration(DEFAULT_TIMEOUTS.idle(), ConfigNode.MAX_DURATION));
    }

    private static Optional<HealthCheckConfig> healthCheck(ConfigNode node) {
        if (!node.isPresent() || !node.expectObject()) {
            return Optional.empty();
        }
        node.rejectUnknown(Set.of("path", "interval", "timeout", "unhealthy_after", "healthy_after"));
        ConfigNode pathNode = node.get("path");
        String path = pathNode.requiredString();
        if (pathNode.isPresent() && !isRequestTarget(path)) {
            pathNode.invalid("a path starting with /, optionally with a query");
        }
        Duration interval = node.get("interval").duration(DEFAULT_HEALTH_INTERVAL, ConfigNode.MAX_DURATION);
        Duration defaultTimeout = DEFAULT_HEALTH_TIMEOUT.compareTo(interval) < 0 ? DEFAULT_HEALTH_TIMEOUT
                : interval.dividedBy(2);
        ConfigNode timeoutNode = node.get("timeout");
        Optional<Duration> timeout = timeoutNode.optDuration(ConfigNode.MAX_DURATION);
        if (timeout.isPresent() && timeout.get().compareTo(interval) >= 0) {
            timeoutNode.invalid("< interval " + ConfigNode.format(interval));
        }
        int unhealthyAfter = node.get("unhealthy_after").intValue(DEFAULT_UNHEALTHY_AFTER, 1, Integer.MAX_VALUE);
        int healthyAfter = node.get("healthy_after").intValue(DEFAULT_HEALTHY_AFTER, 1, Integer.MAX_VALUE);
        return Optional.of(new HealthCheckConfig(path, interval, timeout.orElse(defaultTimeout), unhealthyAfter,
                healthyAfter));
    }

    private static boolean isRequestTarget(String s) {
        if (s.isEmpty() || s.charAt(0) != '/') {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '#') {
                return false;
            }
        }
        return true;
    }

    private static OutlierConfig outlier(ConfigNode node) {
        if (!node.expectObject()) {
            return DEFAULT_OUTLIER;
        }
        node.rejectUnknown(OUTLIER_KEYS);
        int failures = node.get("consecutive_failures").intValue(DEFAULT_OUTLIER.consecutiveFailures(), 1,
                Integer.MAX_VALUE);
        ConfigNode ejectionNode = node.get("ejection");
        Duration ejection = ejectionNode.duration(DEFAULT_OUTLIER.ejection(), ConfigNode.MAX_DURATION);
        Duration maxEjection = node.get("max_ejection").duration(DEFAULT_OUTLIER.maxEjection(),
                ConfigNode.MAX_DURATION);
        if (ejection.compareTo(maxEjection) > 0) {
            ejectionNode.error(ConfigNode.format(ejection) + " (expected: <= max_ejection "
                    + ConfigNode.format(maxEjection) + ")");
        }
        int percent = node.get("max_ejection_percent").intValue(DEFAULT_OUTLIER.maxEjectionPercent(), 0, 100);
        int panic = node.get("panic_threshold").intValue(DEFAULT_OUTLIER.panicThreshold(), 0, 100);
        return new OutlierConfig(failures, ejection, maxEjection, percent, panic);
    }

    private static CircuitLimits limits(ConfigNode node) {
        if (!node.expectObject()) {
            return DEFAULT_LIMITS;
        }
        node.rejectUnknown(Set.of("max_connections", "max_pending", "max_requests"));
        return new CircuitLimits(
                node.get("max_connections").intValue(DEFAULT_LIMITS.maxConnections(), 1, Integer.MAX_VALUE),
                node.get("max_pending").intValue(DEFAULT_LIMITS.maxPending(), 0, Integer.MAX_VALUE),
                node.get("max_requests").intValue(DEFAULT_LIMITS.maxRequests(), 1, Integer.MAX_VALUE));
    }

    private static RetryConfig retries(ConfigNode node) {
        if (!node.expectObject()) {
            return DEFAULT_RETRIES;
        }
        node.rejectUnknown(Set.of("attempts", "budget"));
        return new RetryConfig(node.get("attempts").intValue(DEFAULT_RETRIES.attempts(), 0, MAX_RETRY_ATTEMPTS),
                node.get("budget").ratio(DEFAULT_RETRIES.budget()));
    }

    /** Every failover names another defined cluster, and following failovers never comes back to the start. */
    private static void checkFailover(ConfigNode clustersNode, Map<String, ClusterConfig> clusters) {
        for (ClusterConfig c : clusters.values()) {
            if (c.failover().isEmpty()) {
                continue;
            }
            String target = c.failover().get();
            if (target.equals(c.name()) || !clusters.containsKey(target)) {
                List<String> others = clusters.keySet().stream().filter(n -> !n.equals(c.name())).toList();
                clustersNode.get(c.name()).get("failover").error(Syntax.quote(target)
                        + " (expected: one of the other defined clusters: " + Syntax.list(others) + ")");
            }
        }
        Set<String> inReportedCycle = new HashSet<>();
        for (ClusterConfig start : clusters.values()) {
            List<String> chain = new ArrayList<>();
            String current = start.name();
            while (current != null && !chain.contains(current)) {
                chain.add(current);
                ClusterConfig next = clusters.get(current);
                current = next == null || next.failover().isEmpty() || next.failover().get().equals(current) ? null
                        : next.failover().get();
            }
            if (start.name().equals(current) && !inReportedCycle.contains(current)) {
                inReportedCycle.addAll(chain);
                clustersNode.get(start.name()).get("failover").error(Syntax.quote(start.failover().orElse(""))
                        + " (expected: no failover cycle; " + String.join(" -> ", chain) + " -> " + current + ")");
            }
        }
    }

    public static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }
}
