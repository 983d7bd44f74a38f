package io.palisade.ratelimit;

import io.palisade.config.ConfigNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One rate limit of a route, enforced with GCRA (the generic cell rate algorithm): each key keeps only its theoretical
 * arrival time, requests are spaced {@code period / amount} apart, and up to {@code burst} may arrive at once.
 *
 * <p>In any interval of length {@code W} a key gets at most {@code burst + W * amount / period} requests, and in the long
 * run exactly {@code amount} per {@code period}.
 *
 * <p>{@code burst} defaults to {@code amount} for every period: {@code 100/s} admits 100 at once, and {@code 100000/d}
 * lets a key spend its whole day's quota at any time, refilling continuously (one request per 0.864 s), never in a step
 * at midnight. Write a smaller {@code burst} for smoother traffic, e.g. {@code { rate: 100000/d, burst: 1000 }}.
 */
public final class RateRule {
    /** The longest time a key's state may take to drain: bounds burst x interval, and Redis TTLs. */
    static final Duration MAX_TOLERANCE = Duration.ofDays(400);
    static final long MAX_BURST = 1_000_000_000L;
    private static final Set<String> KEYS = Set.of("key", "rate", "burst", "before_auth", "name", "scope");
    private static final int MAX_NAME = 64;

    private final String name;
    private final List<KeyPart> key;
    private final Rate rate;
    private final long burst;
    private final boolean beforeAuth;
    private final Scope scope;
    private final long intervalNanos;
    private final long toleranceNanos;

    /**
     * @param name       the policy name in {@code RateLimit-Policy} and metrics; unique within the route
     * @param key        the parts whose values, together, identify one bucket
     * @param burst      the most requests a key may send at once, at least 1
     * @param beforeAuth checked in {@link Phase#BEFORE_AUTH} (cannot use the consumer)
     */
    public RateRule(String name, List<KeyPart> key, Rate rate, long burst, boolean beforeAuth, Scope scope) {
        this.name = Objects.requireNonNull(name, "name");
        this.key = List.copyOf(key);
        this.rate = Objects.requireNonNull(rate, "rate");
        this.burst = burst;
        this.beforeAuth = beforeAuth;
        this.scope = Objects.requireNonNull(scope, "scope");
        if (this.key.isEmpty()) {
            throw new IllegalArgumentException("a rule needs at least one key part");
        }
        if (burst < 1 || burst > MAX_BURST) {
            throw new IllegalArgumentException("burst: " + burst);
        }
        if (rate.amount() > Rate.MAX_PER_SECOND * Math.max(1, rate.periodSeconds())) {
            throw new IllegalArgumentException("rate faster than " + Rate.MAX_PER_SECOND + "/s: " + rate);
        }
        if (beforeAuth && this.key.stream().anyMatch(p -> p.kind() == KeyPart.Kind.CONSUMER)) {
            throw new IllegalArgumentException("a before_auth rule cannot be keyed by consumer");
        }
        this.intervalNanos = rate.intervalNanos();
        if (burst > MAX_TOLERANCE.toNanos() / intervalNanos) {
            throw new IllegalArgumentException("burst x interval longer than " + MAX_TOLERANCE + ": " + burst);
        }
        this.toleranceNanos = burst * intervalNanos;
        if (!validName(name)) {
            throw new IllegalArgumentException("name: " + name);
        }
    }

    public String name() {
        return name;
    }

    public List<KeyPart> key() {
        return key;
    }

    public Rate rate() {
        return rate;
    }

    public long burst() {
        return burst;
    }

    public boolean beforeAuth() {
        return beforeAuth;
    }

    public Scope scope() {
        return scope;
    }

    public Phase phase() {
        return beforeAuth ? Phase.BEFORE_AUTH : Phase.AFTER_AUTH;
    }

    long intervalNanos() {
        return intervalNanos;
    }

    /** burst x interval: how far ahead of now a key's arrival time may run; also how long a key's state can live. */
    long toleranceNanos() {
        return toleranceNanos;
    }

    /** The name written when none is: the key parts and the rate, e.g. {@code consumer+header:x-region-10/s}. */
    static String defaultName(List<KeyPart> key, Rate rate) {
        return key.stream().map(KeyPart::toString).collect(Collectors.joining("+")) + "-" + rate;
    }

    /** Printable ASCII without quotes or backslashes, so the name is a plain structured-field string. */
    static boolean validName(String s) {
        if (s.isEmpty() || s.length() > MAX_NAME) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    /** Reads one element of {@code rate_limits}; empty (with errors recorded) when it is not a usable rule. */
    static Optional<RateRule> parse(ConfigNode node) {
        if (!node.isObject()) {
            node.invalid("a mapping like { key: ip, rate: 100/s }");
            return Optional.empty();
        }
        int errorsBefore = node.errors().list().size();
        node.rejectUnknown(KEYS);
        boolean ok = true;

        List<KeyPart> parts = parseKey(node.get("key"));
        ok &= !parts.isEmpty();

        ConfigNode rateNode = node.get("rate");
        Optional<Rate> rate = Optional.empty();
        String rateText = rateNode.requiredString();
        if (rateNode.isPresent()) {
            rate = Rate.parse(rateText);
            if (rate.isEmpty()) {
                rateNode.invalid("a rate like 100/s, 50/m, 1000/h, 100000/d");
            } else if (rate.get().amount() > Rate.MAX_PER_SECOND * Math.max(1, rate.get().periodSeconds())) {
                rateNode.invalid("at most " + Rate.MAX_PER_SECOND + " per second");
                rate = Optional.empty();
            }
        }
        ok &= rate.isPresent();

        ConfigNode burstNode = node.get("burst");
        long burst = burstNode.longValue(rate.map(Rate::amount).orElse(1L), 1, MAX_BURST);
        if (rate.isPresent() && burst > MAX_TOLERANCE.toNanos() / rate.get().intervalNanos()) {
            (burstNode.isPresent() ? burstNode : rateNode).invalid(
                    "a burst the rate refills within " + MAX_TOLERANCE.toDays() + " days");
            ok = false;
        }

        ConfigNode beforeNode = node.get("before_auth");
        boolean beforeAuth = beforeNode.bool(false);
        if (beforeAuth && parts.stream().anyMatch(p -> p.kind() == KeyPart.Kind.CONSUMER)) {
            beforeNode.invalid("false for a rule keyed by consumer: the consumer is known only after authentication");
            ok = false;
        }

        Scope scope = "local".equals(node.get("scope").oneOf("global", List.of("local", "global")))
                ? Scope.LOCAL : Scope.GLOBAL;

        ConfigNode nameNode = node.get("name");
        String name = "";
        if (nameNode.isPresent()) {
            name = nameNode.optString().orElse("");
            if (!validName(name)) {
                nameNode.invalid("1 to " + MAX_NAME + " printable characters without spaces, quotes or backslashes");
                ok = false;
            }
        } else if (!parts.isEmpty() && rate.isPresent()) {
            name = defaultName(parts, rate.get());
            if (!validName(name)) {
                nameNode.error("missing (expected: a name, since the default '" + name + "' is too long)");
                ok = false;
            }
        }
        // A rule with any mistake is left out rather than enforced with a default the user did not write.
        if (!ok || node.errors().list().size() > errorsBefore) {
            return Optional.empty();
        }
        return Optional.of(new RateRule(name, parts, rate.get(), burst, beforeAuth, scope));
    }

    private static List<KeyPart> parseKey(ConfigNode keyNode) {
        String expected = "ip, consumer, route, path or header:NAME, or a list of them";
        if (!keyNode.isPresent()) {
            keyNode.error("missing (expected: " + expected + ")");
            return List.of();
        }
        List<ConfigNode> elements = keyNode.isArray() ? keyNode.elements() : List.of(keyNode);
        if (elements.isEmpty()) {
            keyNode.invalid(expected);
            return List.of();
        }
        List<KeyPart> parts = new ArrayList<>();
        boolean ok = true;
        for (ConfigNode element : elements) {
            Optional<KeyPart> part = element.isTextual() ? KeyPart.parse(element.raw().asText()) : Optional.empty();
            if (part.isEmpty()) {
                element.invalid(expected);
                ok = false;
            } else if (parts.contains(part.get())) {
                element.invalid("each key part at most once");
                ok = false;
            } else {
                parts.add(part.get());
            }
        }
        return ok ? List.copyOf(parts) : List.of();
    }

    @Override
    public String toString() {
        return name + "{key=" + key + ", rate=" + rate + ", burst=" + burst + ", scope=" + scope
                + (beforeAuth ? ", before_auth" : "") + "}";
    }
}
