package io.palisade.release;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.palisade.config.Syntax;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Structural diff of two config trees (Jackson {@link JsonNode}, as parsed from YAML), in the YAML's own words: what a
 * new version adds, removes or changes, so that only that needs probing and a person can read what is about to go
 * out.
 *
 * <pre>{@code
 * for (ConfigDiff.Change c : ConfigDiff.between(activeTree, nextTree)) {
 *     log.info("{} {}", c.kind(), c.path());     // CHANGED clusters.orders.timeouts.request
 * }
 * }</pre>
 *
 * <p>Rules:
 * <ul>
 *   <li>Mappings compare by key ({@code clusters.orders.timeouts.request}); a key whose value is null counts as
 *       absent, as it does for the config reader. A key that is not a plain name is quoted: {@code a["x.y"]}.
 *   <li>The top-level {@code routes} list is keyed by each route's {@code name} ({@code routes.orders}), falling back
 *       to its index ({@code routes[3]}) when it has none (or repeats an earlier route's): reordering named routes is
 *       no change, renaming one is one REMOVED plus one ADDED. (Routes match in file order, so a reorder can change
 *       which route takes a request; this diff does not show it.) Other lists compare by index
 *       ({@code clusters.api.endpoints[1]}).
 *   <li>A subtree present on one side only is one change at its root ({@code routes.orders} ADDED), whose absent
 *       side is a {@link MissingNode}. A value whose type differs (string to mapping) is one CHANGED.
 *   <li>Numbers compare by value ({@code 1} equals {@code 1.0}); strings, booleans and nulls exactly.
 *   <li>An absent document (a {@link MissingNode} or null node) compares as an empty mapping; the path of a change to
 *       a document that is not a mapping is the empty string.
 * </ul>
 */
public final class ConfigDiff {
    /**
     * One difference: at {@code path}, {@code from} (the active value) became {@code to} (the next one).
     *
     * @param from the active value; a {@link MissingNode} when {@code kind} is {@link Kind#ADDED}
     * @param to   the next value; a {@link MissingNode} when {@code kind} is {@link Kind#REMOVED}
     */
    public record Change(String path, Kind kind, JsonNode from, JsonNode to) {
        public enum Kind { ADDED, REMOVED, CHANGED }

        public Change {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }
    }

    private sealed interface Segment {}

    private record Key(String name) implements Segment {}

    private record Index(int index) implements Segment {}

    private record Found(List<Segment> path, Change.Kind kind, JsonNode from, JsonNode to) {}

    /** Segment by segment: keys by name, indices by number (so [2] comes before [10]), keys before indices. */
    private static final Comparator<List<Segment>> BY_PATH = (a, b) -> {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = compare(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    };

    private final List<Found> found = new ArrayList<>();

    private ConfigDiff() {}

    /** Changes from {@code active} to {@code next}, sorted by path; empty when the trees are equal. */
    public static List<Change> between(JsonNode active, JsonNode next) {
        Objects.requireNonNull(active, "active");
        Objects.requireNonNull(next, "next");
        ConfigDiff diff = new ConfigDiff();
        diff.values(List.of(), absent(active) ? emptyMapping() : active, absent(next) ? emptyMapping() : next);
        return diff.found.stream()
                .sorted(Comparator.comparing(Found::path, BY_PATH))
                .map(f -> new Change(render(f.path()), f.kind(), f.from(), f.to()))
                .toList();
    }

    /** A mapping's value on each side, either of which may be absent. */
    private void entries(List<Segment> path, JsonNode from, JsonNode to) {
        boolean wasAbsent = absent(from);
        boolean isAbsent = absent(to);
        if (wasAbsent && isAbsent) {
            return;
        }
        if (wasAbsent) {
            found.add(new Found(path, Change.Kind.ADDED, MissingNode.getInstance(), to));
        } else if (isAbsent) {
            found.add(new Found(path, Change.Kind.REMOVED, from, MissingNode.getInstance()));
        } else {
            values(path, from, to);
        }
    }

    /** Two values present on both sides (a null list element is a value). */
    private void values(List<Segment> path, JsonNode from, JsonNode to) {
        if (from.isObject() && to.isObject()) {
            Set<String> keys = new LinkedHashSet<>();
            from.fieldNames().forEachRemaining(keys::add);
            to.fieldNames().forEachRemaining(keys::add);
            for (String key : keys) {
                entries(append(path, new Key(key)), from.get(key), to.get(key));
            }
        } else if (from.isArray() && to.isArray()) {
            boolean routes = path.size() == 1 && path.get(0).equals(new Key("routes"));
            elements(path, routes ? byName(from) : byIndex(from), routes ? byName(to) : byIndex(to));
        } else if (!sameScalar(from, to)) {
            found.add(new Found(path, Change.Kind.CHANGED, from, to));
        }
    }

    private void elements(List<Segment> path, Map<Segment, JsonNode> from, Map<Segment, JsonNode> to) {
        Set<Segment> keys = new LinkedHashSet<>(from.keySet());
        keys.addAll(to.keySet());
        for (Segment key : keys) {
            List<Segment> at = append(path, key);
            JsonNode was = from.get(key);
            JsonNode is = to.get(key);
            if (was == null) {
                found.add(new Found(at, Change.Kind.ADDED, MissingNode.getInstance(), is));
            } else if (is == null) {
                found.add(new Found(at, Change.Kind.REMOVED, was, MissingNode.getInstance()));
            } else {
                values(at, was, is);
            }
        }
    }

    private static Map<Segment, JsonNode> byIndex(JsonNode list) {
        Map<Segment, JsonNode> out = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            out.put(new Index(i), list.get(i));
        }
        return out;
    }

    private static Map<Segment, JsonNode> byName(JsonNode routes) {
        Map<Segment, JsonNode> out = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < routes.size(); i++) {
            JsonNode route = routes.get(i);
            JsonNode name = route.path("name");
            boolean named = name.isTextual() && !name.asText().isEmpty() && seen.add(name.asText());
            out.put(named ? new Key(name.asText()) : new Index(i), route);
        }
        return out;
    }

    private static boolean sameScalar(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            if (!finite(a) || !finite(b)) {
                return Double.compare(a.doubleValue(), b.doubleValue()) == 0;
            }
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }

    private static boolean finite(JsonNode number) {
        return !number.isFloatingPointNumber() || Double.isFinite(number.doubleValue());
    }

    private static boolean absent(JsonNode node) {
        return node == null || node.isMissingNode() || node.isNull();
    }

    private static JsonNode emptyMapping() {
        return JsonNodeFactory.instance.objectNode();
    }

    private static List<Segment> append(List<Segment> path, Segment segment) {
        List<Segment> out = new ArrayList<>(path.size() + 1);
        out.addAll(path);
        out.add(segment);
        return out;
    }

    private static int compare(Segment a, Segment b) {
        return switch (a) {
            case Key ka when b instanceof Key kb -> ka.name().compareTo(kb.name());
            case Index ia when b instanceof Index ib -> Integer.compare(ia.index(), ib.index());
            case Key ka -> -1;
            case Index ia -> 1;
        };
    }

    private static String render(List<Segment> path) {
        StringBuilder sb = new StringBuilder();
        for (Segment segment : path) {
            switch (segment) {
                case Index i -> sb.append('[').append(i.index()).append(']');
                case Key k when plain(k.name()) -> sb.append(sb.isEmpty() ? "" : ".").append(k.name());
                case Key k -> sb.append('[').append(Syntax.quote(k.name())).append(']');
            }
        }
        return sb.toString();
    }

    private static boolean plain(String key) {
        if (key.isEmpty()) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (!Syntax.isAlnum(c) && c != '_' && c != '-') {
                return false;
            }
        }
        return true;
    }
}
