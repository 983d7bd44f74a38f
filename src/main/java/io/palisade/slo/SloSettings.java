package io.palisade.slo;

import io.palisade.config.ConfigNode;
import io.palisade.config.Syntax;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One service-level objective, as the {@code slos:} section writes it:
 *
 * <pre>{@code
 * slos:
 *   - name: orders-availability
 *     routes: [orders, orders-write]
 *     objective: 99.9%
 *     window: 30d
 *   - name: orders-latency
 *     routes: [orders]
 *     objective: 99%
 *     latency: 300ms          # good = answered within 300 ms
 *     window: 30d
 * }</pre>
 *
 * @param name      unique among the SLOs; names the metrics' {@code slo} label and the alerts
 * @param routes    the route names whose requests count, at least one, each a configured route
 * @param objective the share of good requests promised over {@code window}, above 0 and below 1 (0.999 for 99.9%)
 * @param window    the period the objective is promised over, {@link #MIN_WINDOW} to {@link #MAX_WINDOW}; the burn-rate
 *                  windows scale with it ({@link BurnWindow})
 * @param latency   when present, a latency SLO: a request is good when it was answered well and within this time
 */
public record SloSettings(String name, List<String> routes, double objective, Duration window,
                          Optional<Duration> latency) {
    /** The longest SLO window: three months of history is what the 90-day uptime bars show. */
    public static final Duration MAX_WINDOW = Duration.ofDays(90);
    /**
     * The shortest: its "5m" burn window is then under half a second, about the resolution the engine counts at
     * (a tick of at least 100 ms), so a shorter SLO window would have windows shorter than what can be measured.
     */
    public static final Duration MIN_WINDOW = Duration.ofHours(1);
    /** A latency threshold is a deadline like any other: finite, and at most what {@link ConfigNode} allows. */
    public static final Duration MAX_LATENCY = ConfigNode.MAX_DURATION;

    static final Set<String> KEYS = Set.of("name", "routes", "objective", "window", "latency");

    public SloSettings {
        Objects.requireNonNull(name, "name");
        routes = List.copyOf(routes);
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(latency, "latency");
        if (!(objective > 0 && objective < 1)) {
            throw new IllegalArgumentException("objective: " + objective + " (expected: above 0 and below 1)");
        }
    }

    /** The share of requests that may be bad over the window: {@code 1 - objective}. */
    public double errorBudget() {
        // 1 - 0.999 in binary is 0.0010000000000000009; in decimal it is the 0.001 the user meant.
        return BigDecimal.ONE.subtract(BigDecimal.valueOf(objective)).doubleValue();
    }

    /** {@code 99.9%}, as a user writes it. */
    public String objectivePercent() {
        return percent(objective);
    }

    static String percent(double ratio) {
        String s = String.format(Locale.ROOT, "%.6f", ratio * 100).replaceAll("0+$", "").replaceAll("\\.$", "");
        return s + "%";
    }

    /**
     * Reads the {@code slos:} list; an absent section is no SLOs. Errors go to the node's {@link
     * io.palisade.config.ConfigErrors} as {@code slos[0].objective: 100% (expected: above 0% and below 100%, like
     * 99.9%)}, and an SLO with an error is left out of the result.
     *
     * @param routeIds the names of the configured routes, which {@code routes} must name
     */
    public static List<SloSettings> read(ConfigNode slosNode, Set<String> routeIds) {
        if (!slosNode.isPresent()) {
            return List.of();
        }
        List<SloSettings> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ConfigNode node : slosNode.elements()) {
            int before = node.errors().list().size();
            Optional<SloSettings> slo = one(node, routeIds, names);
            if (slo.isPresent() && node.errors().list().size() == before) {
                out.add(slo.get());
            }
        }
        return List.copyOf(out);
    }

    private static Optional<SloSettings> one(ConfigNode node, Set<String> routeIds, Set<String> names) {
        if (!node.isObject()) {
            node.invalid("a mapping like { name: orders-availability, routes: [orders], objective: 99.9%,"
                    + " window: 30d }");
            return Optional.empty();
        }
        node.rejectUnknown(KEYS);
        ConfigNode nameNode = node.get("name");
        String name = nameNode.requiredString();
        if (nameNode.isPresent() && !Syntax.isName(name)) {
            nameNode.invalid(Syntax.NAME_RULE);
        } else if (nameNode.isPresent() && !names.add(name)) {
            nameNode.invalid("a name no other SLO has");
        }
        List<String> routes = routes(node.get("routes"), routeIds);
        double objective = objective(node.get("objective"));
        Duration window = window(node.get("window"));
        ConfigNode latencyNode = node.get("latency");
        Optional<Duration> latency = latencyNode.optDuration(MAX_LATENCY);
        if (routes.isEmpty() || objective <= 0 || window == null) {
            return Optional.empty();
        }
        return Optional.of(new SloSettings(name, routes, objective, window, latency));
    }

    private static List<String> routes(ConfigNode node, Set<String> routeIds) {
        if (!node.isPresent()) {
            node.error("missing (expected: a list of route names, like [orders])");
            return List.of();
        }
        if (!node.isArray()) {
            node.invalid("a list of route names, like [orders]");
            return List.of();
        }
        List<ConfigNode> elements = node.elements();
        if (elements.isEmpty()) {
            node.invalid("at least one route name");
            return List.of();
        }
        Set<String> routes = new LinkedHashSet<>();
        String known = routeIds.isEmpty() ? "none are configured"
                : "one of " + String.join(", ", routeIds.stream().sorted().toList());
        for (ConfigNode element : elements) {
            Optional<String> route = element.isTextual() ? element.optString() : Optional.empty();
            if (route.isEmpty()) {
                element.invalid("a route name");
            } else if (!routeIds.contains(route.get())) {
                element.invalid("the name of a configured route: " + known);
            } else if (!routes.add(route.get())) {
                element.invalid("a route not already listed");
            }
        }
        return routes.size() == elements.size() ? List.copyOf(routes) : List.of();
    }

    private static double objective(ConfigNode node) {
        if (!node.isPresent()) {
            node.error("missing (expected: a percentage like 99.9%)");
            return 0;
        }
        int before = node.errors().list().size();
        double v = node.ratio(0);
        if (node.errors().list().size() != before) {
            return 0;
        }
        if (!(v > 0 && v < 1)) {
            node.invalid("above 0% and below 100%, like 99.9%");
            return 0;
        }
        // 99.9 / 100 in binary is 0.9990000000000001: the decimal the user wrote is what rules and pages show.
        String text = node.raw().asText().trim();
        boolean percent = text.endsWith("%");
        BigDecimal written = new BigDecimal(percent ? text.substring(0, text.length() - 1).trim() : text);
        return (percent ? written.movePointLeft(2) : written).doubleValue();
    }

    private static Duration window(ConfigNode node) {
        if (!node.isPresent()) {
            node.error("missing (expected: a duration like 30d, at most 90d)");
            return null;
        }
        Optional<Duration> d = node.optDuration(MAX_WINDOW);
        if (d.isEmpty()) {
            return null;
        }
        if (d.get().compareTo(MIN_WINDOW) < 0) {
            node.invalid("at least " + ConfigNode.format(MIN_WINDOW));
            return null;
        }
        return d.get();
    }
}
