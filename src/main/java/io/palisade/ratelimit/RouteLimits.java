package io.palisade.ratelimit;

import io.palisade.config.ConfigNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The limits of one route: its {@code rate_limits} rules and its {@code concurrency} section. Immutable; build one per
 * route per config snapshot with {@link #parse} and pass it to every {@link RateLimiter#check}.
 *
 * <pre>{@code
 * routes:
 *   - match: { path_prefix: /orders }
 *     rate_limits:
 *       - { key: ip, rate: 100/s, burst: 200, before_auth: true }
 *       - { key: consumer, rate: 50/s, name: per-consumer, scope: local }
 *     concurrency: { per_consumer: 32 }
 * }</pre>
 */
public final class RouteLimits {
    static final int MAX_PER_CONSUMER = 1_000_000;
    private static final RouteLimits NONE = new RouteLimits(List.of(), OptionalInt.empty());
    private static final Set<String> CONCURRENCY_KEYS = Set.of("per_consumer");

    private final List<RateRule> rules;
    private final OptionalInt perConsumerConcurrency;
    private final Optional<String> policyHeader;
    /** The bindings of the route id last used with this object: one route uses one RouteLimits, so this always hits. */
    private volatile Bound bound;

    private RouteLimits(List<RateRule> rules, OptionalInt perConsumerConcurrency) {
        this.rules = List.copyOf(rules);
        this.perConsumerConcurrency = perConsumerConcurrency;
        Set<String> names = new HashSet<>();
        for (RateRule rule : this.rules) {
            if (!names.add(rule.name())) {
                throw new IllegalArgumentException("duplicate rule name: " + rule.name());
            }
        }
        this.policyHeader = this.rules.isEmpty() ? Optional.empty() : Optional.of(policyValue(this.rules));
    }

    /** No rate limits and no concurrency cap. */
    public static RouteLimits none() {
        return NONE;
    }

    /**
     * @param rules                  checked in order; names must be unique
     * @param perConsumerConcurrency the most requests one consumer may have in flight on the route
     */
    public static RouteLimits of(List<RateRule> rules, OptionalInt perConsumerConcurrency) {
        Objects.requireNonNull(perConsumerConcurrency, "perConsumerConcurrency");
        if (rules.isEmpty() && perConsumerConcurrency.isEmpty()) {
            return NONE;
        }
        return new RouteLimits(rules, perConsumerConcurrency);
    }

    /**
     * Reads {@code rate_limits} and {@code concurrency} of a route node (other keys of the route are left to the route
     * parser). Errors are recorded at their paths; bad rules are left out of the result.
     */
    public static RouteLimits parse(ConfigNode routeNode) {
        ConfigNode limitsNode = routeNode.get("rate_limits");
        ConfigNode concurrencyNode = routeNode.get("concurrency");
        List<RateRule> rules = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ConfigNode element : limitsNode.elements()) {
            Optional<RateRule> rule = RateRule.parse(element);
            if (rule.isEmpty()) {
                continue;
            }
            if (!names.add(rule.get().name())) {
                ConfigNode at = element.has("name") ? element.get("name") : element;
                at.error("duplicate rule name '" + rule.get().name() + "' (expected: unique within the route; add "
                        + "name: to tell the rules apart)");
                continue;
            }
            rules.add(rule.get());
        }
        OptionalInt perConsumer = OptionalInt.empty();
        if (concurrencyNode.isPresent() && concurrencyNode.expectObject()) {
            concurrencyNode.rejectUnknown(CONCURRENCY_KEYS);
            ConfigNode pc = concurrencyNode.get("per_consumer");
            if (!pc.isPresent()) {
                pc.error("missing (expected: the most requests one consumer may have in flight, >= 1)");
            } else {
                int v = pc.intValue(-1, 1, MAX_PER_CONSUMER);
                if (v > 0) {
                    perConsumer = OptionalInt.of(v);
                }
            }
        }
        return of(rules, perConsumer);
    }

    public List<RateRule> rules() {
        return rules;
    }

    public List<RateRule> rules(Phase phase) {
        return rules.stream().filter(r -> r.phase() == phase).toList();
    }

    /** The most requests one consumer may have in flight on this route, if capped. */
    public OptionalInt perConsumerConcurrency() {
        return perConsumerConcurrency;
    }

    public boolean isEmpty() {
        return rules.isEmpty() && perConsumerConcurrency.isEmpty();
    }

    /**
     * The {@code RateLimit-Policy} field value listing every rule of the route (both phases), e.g.
     * {@code "ip-100/s";q=100;w=1;palisade-burst=200, "per-consumer";q=50;w=1}. Constant for the route, as the draft
     * asks. {@code palisade-burst} appears when the burst differs from the per-period amount.
     */
    public Optional<String> policyHeader() {
        return policyHeader;
    }

    private static String policyValue(List<RateRule> rules) {
        StringJoiner j = new StringJoiner(", ");
        for (RateRule r : rules) {
            String item = "\"" + r.name() + "\";q=" + r.rate().amount() + ";w=" + r.rate().periodSeconds();
            if (r.burst() != r.rate().amount()) {
                item += ";palisade-burst=" + r.burst();
            }
            j.add(item);
        }
        return j.toString();
    }

    Bound bind(String routeId) {
        Bound b = bound;
        if (b != null && b.routeId.equals(routeId)) {
            return b;
        }
        b = new Bound(routeId, this);
        bound = b;
        return b;
    }

    /** This route's rules resolved for one route id: bucket ids and labels computed once, not per request. */
    static final class Bound {
        final String routeId;
        final Binding[] before;
        final Binding[] after;
        final boolean beforeHasGlobal;
        final boolean afterHasGlobal;
        final LimitDecision allowedWithoutRules;

        Bound(String routeId, RouteLimits limits) {
            this.routeId = routeId;
            List<Binding> b = new ArrayList<>();
            List<Binding> a = new ArrayList<>();
            for (RateRule rule : limits.rules) {
                Binding binding = new Binding(routeId, rule);
                (rule.beforeAuth() ? b : a).add(binding);
            }
            this.before = b.toArray(Binding[]::new);
            this.after = a.toArray(Binding[]::new);
            this.beforeHasGlobal = b.stream().anyMatch(x -> x.rule.scope() == Scope.GLOBAL);
            this.afterHasGlobal = a.stream().anyMatch(x -> x.rule.scope() == Scope.GLOBAL);
            this.allowedWithoutRules = LimitDecision.allowedWithPolicy(limits.policyHeader);
        }

        Binding[] rules(Phase phase) {
            return phase == Phase.BEFORE_AUTH ? before : after;
        }

        boolean hasGlobal(Phase phase) {
            return phase == Phase.BEFORE_AUTH ? beforeHasGlobal : afterHasGlobal;
        }
    }

    /** One rule of one route. */
    static final class Binding {
        final RateRule rule;
        /** Unambiguous id of the rule's buckets: {@code <len(route)>:<route>:<rule name>}. */
        final String bucketId;
        /** The buckets of this node's fallback share of a global rule, kept apart from full-rate state. */
        final String shareBucketId;
        /** {@code route/rule} for metrics and logs. */
        final String label;
        /** The rule's interval and tolerance in microseconds, as sent to the Redis script (exact decimals). */
        final double intervalMicros;
        final double toleranceMicros;
        final String intervalArg;
        final String toleranceArg;
        /**
         * The last allowed decision that reported this rule, to serve again while its numbers stay the same. Read and
         * written without synchronisation on purpose: a decision is immutable (final fields), so every thread sees
         * a whole one, and one that another thread replaced only fails to match.
         */
        LimitDecision lastAllowed;

        Binding(String routeId, RateRule rule) {
            this.rule = rule;
            this.bucketId = routeId.length() + ":" + routeId + ":" + rule.name();
            this.shareBucketId = bucketId + ":share";
            this.label = routeId + "/" + rule.name();
            this.intervalMicros = rule.rate().period().toNanos() / 1000.0 / rule.rate().amount();
            this.toleranceMicros = intervalMicros * rule.burst();
            this.intervalArg = BigDecimal.valueOf(intervalMicros).toPlainString();
            this.toleranceArg = BigDecimal.valueOf(toleranceMicros).toPlainString();
        }
    }
}
