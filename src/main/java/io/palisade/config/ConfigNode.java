package io.palisade.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A read-only view of one YAML node that knows its path, so every capability can parse its own section and report
 * mistakes as {@code clusters.orders.timeouts.connect: 0s (expected: > 0)}.
 *
 * <p>Readers never throw: a bad value is recorded in the shared {@link ConfigErrors} and the default is returned, so one
 * pass finds every error. Unknown keys are reported too ({@link #rejectUnknown}), since a typo like {@code timout}
 * silently falling back to a default is how an untested config reaches production (seed 004).
 */
public final class ConfigNode {
    /** The longest duration any key accepts: a config cannot turn off a deadline by making it huge. */
    public static final Duration MAX_DURATION = Duration.ofDays(1);

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|h|d)");
    private static final Pattern RATIO = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(%)?");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KB|KiB|MB|MiB|GB|GiB|k|K|M|G)?");

    private final JsonNode node;
    private final String path;
    private final ConfigErrors errors;

    public ConfigNode(JsonNode node, String path, ConfigErrors errors) {
        this.node = node == null ? MissingNode.getInstance() : node;
        this.path = path;
        this.errors = errors;
    }

    public String path() {
        return path;
    }

    public ConfigErrors errors() {
        return errors;
    }

    public JsonNode raw() {
        return node;
    }

    public boolean isPresent() {
        return !node.isMissingNode() && !node.isNull();
    }

    public boolean isObject() {
        return node.isObject();
    }

    public boolean isArray() {
        return node.isArray();
    }

    public boolean isTextual() {
        return node.isTextual();
    }

    public boolean has(String key) {
        JsonNode child = node.get(key);
        return child != null && !child.isNull();
    }

    public ConfigNode get(String key) {
        return new ConfigNode(node.get(key), path.isEmpty() ? key : path + "." + key, errors);
    }

    /** Records an error at this node's path. */
    public void error(String message) {
        errors.add(path, message);
    }

    /** Records {@code "<value> (expected: <expectation>)"} at this node's path. */
    public void invalid(String expectation) {
        errors.add(path, display() + " (expected: " + expectation + ")");
    }

    private String display() {
        if (node.isMissingNode()) {
            return "missing";
        }
        if (node.isTextual()) {
            // An empty or blank string would otherwise vanish from the message.
            return node.asText().isBlank() ? node.toString() : node.asText();
        }
        return node.toString();
    }

    /** Reports keys of this object other than {@code allowed}. */
    public void rejectUnknown(Set<String> allowed) {
        if (!node.isObject()) {
            return;
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String name = field.getKey();
            if (!allowed.contains(name)) {
                errors.add(path.isEmpty() ? name : path + "." + name, "unknown key (expected one of: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    /** Requires this node to be an object (or absent); reports otherwise. */
    public boolean expectObject() {
        if (isPresent() && !node.isObject()) {
            invalid("a mapping");
            return false;
        }
        return true;
    }

    public List<ConfigNode> elements() {
        if (!isPresent()) {
            return List.of();
        }
        if (!node.isArray()) {
            invalid("a list");
            return List.of();
        }
        List<ConfigNode> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            out.add(new ConfigNode(node.get(i), path + "[" + i + "]", errors));
        }
        return out;
    }

    /** The entries of a mapping, in file order. */
    public Map<String, ConfigNode> entries() {
        Map<String, ConfigNode> out = new LinkedHashMap<>();
        if (!isPresent()) {
            return out;
        }
        if (!node.isObject()) {
            invalid("a mapping");
            return out;
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            out.put(e.getKey(), new ConfigNode(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(),
                    errors));
        }
        return out;
    }

    public Optional<String> optString() {
        if (!isPresent()) {
            return Optional.empty();
        }
        if (!node.isValueNode()) {
            invalid("a string");
            return Optional.empty();
        }
        return Optional.of(node.asText());
    }

    public String string(String defaultValue) {
        return optString().orElse(defaultValue);
    }

    /** A required string: reports "missing" when absent. */
    public String requiredString() {
        if (!isPresent()) {
            errors.add(path, "missing (expected: a value)");
            return "";
        }
        return optString().orElse("");
    }

    public boolean bool(boolean defaultValue) {
        if (!isPresent()) {
            return defaultValue;
        }
        if (!node.isBoolean()) {
            invalid("true or false");
            return defaultValue;
        }
        return node.booleanValue();
    }

    /** An integer in {@code [min, max]}. */
    public int intValue(int defaultValue, int min, int max) {
        long v = longValue(defaultValue, min, max);
        return (int) v;
    }

    public long longValue(long defaultValue, long min, long max) {
        if (!isPresent()) {
            return defaultValue;
        }
        if (!node.canConvertToLong() || !node.isIntegralNumber()) {
            invalid("an integer");
            return defaultValue;
        }
        long v = node.longValue();
        if (v < min || v > max) {
            invalid(range(min, max));
            return defaultValue;
        }
        return v;
    }

    private static String range(long min, long max) {
        if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) {
            return ">= " + min;
        }
        return "between " + min + " and " + max;
    }

    /**
     * A finite, positive duration such as {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1d}. Zero, negative
     * and "infinite" values are refused: every wait in Palisade ends (seed 004).
     */
    public Optional<Duration> optDuration(Duration max) {
        if (!isPresent()) {
            return Optional.empty();
        }
        Optional<Duration> parsed = parseDuration(node.asText());
        if (parsed.isEmpty() || !node.isValueNode() || node.isBoolean()) {
            invalid("a duration like 250ms, 5s, 2m, 1h");
            return Optional.empty();
        }
        Duration d = parsed.get();
        if (d.isZero() || d.isNegative()) {
            invalid("> 0");
            return Optional.empty();
        }
        if (d.compareTo(max) > 0) {
            invalid("<= " + format(max));
            return Optional.empty();
        }
        return parsed;
    }

    public Duration duration(Duration defaultValue, Duration max) {
        return optDuration(max).orElse(defaultValue);
    }

    /** A duration that must be written: a config without it is refused. */
    public Duration requiredDuration(Duration max) {
        if (!isPresent()) {
            errors.add(path, "missing (expected: a finite duration like 250ms, 5s)");
            return Duration.ofSeconds(1);
        }
        return optDuration(max).orElse(Duration.ofSeconds(1));
    }

    /** A byte size such as {@code 16KiB}, {@code 1MiB}, {@code 512}; at least {@code min}. */
    public Optional<Long> optSize(long min, long max) {
        if (!isPresent()) {
            return Optional.empty();
        }
        Optional<Long> parsed;
        if (node.isIntegralNumber()) {
            // longValue() of a number past Long.MAX_VALUE silently wraps.
            parsed = node.canConvertToLong() ? Optional.of(node.longValue()) : Optional.empty();
        } else {
            parsed = node.isTextual() ? parseSize(node.asText()) : Optional.empty();
        }
        if (parsed.isEmpty()) {
            invalid("a size like 512, 16KiB, 1MiB");
            return Optional.empty();
        }
        long v = parsed.get();
        if (v < min || v > max) {
            invalid(range(min, max) + " bytes");
            return Optional.empty();
        }
        return parsed;
    }

    public long size(long defaultValue, long min, long max) {
        return optSize(min, max).orElse(defaultValue);
    }

    /** A ratio written as {@code 20%} or {@code 0.2}, in [0, 1]. */
    public double ratio(double defaultValue) {
        if (!isPresent()) {
            return defaultValue;
        }
        String text = node.isValueNode() && !node.isBoolean() ? node.asText().trim() : "";
        // Strict on purpose: Double.parseDouble also takes "NaN", "Infinity", "0x1p-2" and "0.2d".
        Matcher m = RATIO.matcher(text);
        if (!m.matches()) {
            invalid("a percentage like 20%");
            return defaultValue;
        }
        double v = Double.parseDouble(m.group(1));
        if (m.group(2) != null) {
            v /= 100.0;
        }
        if (v > 1) {
            invalid("between 0% and 100%");
            return defaultValue;
        }
        return v;
    }

    /** One of {@code allowed} (case-insensitive), returned in lower case. */
    public String oneOf(String defaultValue, List<String> allowed) {
        if (!isPresent()) {
            return defaultValue;
        }
        String v = node.asText().toLowerCase(Locale.ROOT);
        if (!allowed.contains(v)) {
            invalid("one of " + String.join(", ", allowed));
            return defaultValue;
        }
        return v;
    }

    public List<String> stringList() {
        if (!isPresent()) {
            return List.of();
        }
        if (node.isTextual()) {
            return List.of(node.asText());
        }
        List<String> out = new ArrayList<>();
        for (ConfigNode element : elements()) {
            element.optString().ifPresent(out::add);
        }
        return List.copyOf(out);
    }

    public static Optional<Duration> parseDuration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        double amount = Double.parseDouble(m.group(1));
        double nanos = switch (m.group(2)) {
            case "ns" -> amount;
            case "us" -> amount * 1e3;
            case "ms" -> amount * 1e6;
            case "s" -> amount * 1e9;
            case "m" -> amount * 60e9;
            case "h" -> amount * 3600e9;
            default -> amount * 86400e9;
        };
        if (nanos > Long.MAX_VALUE / 2.0) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofNanos(Math.round(nanos)));
    }

    public static Optional<Long> parseSize(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        long base;
        try {
            base = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        String unit = m.group(2) == null ? "B" : m.group(2);
        long mult = switch (unit) {
            case "KB" -> 1000L;
            case "MB" -> 1000_000L;
            case "GB" -> 1000_000_000L;
            case "KiB", "k", "K" -> 1024L;
            case "MiB", "M" -> 1024L * 1024;
            case "GiB", "G" -> 1024L * 1024 * 1024;
            default -> 1L;
        };
        if (base > Long.MAX_VALUE / mult) {
            return Optional.empty();
        }
        return Optional.of(base * mult);
    }

    /** Formats a duration the way a user writes one: 250ms, 5s, 2m. */
    public static String format(Duration d) {
        if (d.getNano() % 1_000_000 != 0 && d.getSeconds() < 1_000_000) {
            long nanos = d.toNanos();
            return nanos % 1000 == 0 ? nanos / 1000 + "us" : nanos + "ns";
        }
        long ms = d.toMillis();
        if (ms % 86_400_000 == 0 && ms > 0) {
            return ms / 86_400_000 + "d";
        }
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0 && ms > 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
