package io.palisade.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How the admin commands print what the admin API answers (docs/admin-api.md has the JSON). Fields the API adds later
 * are ignored; a field left out prints as {@code -}.
 */
final class Views {
    private Views() {}

    /** A JSON value as a person reads it: a string without quotes, null and missing as {@code -}. */
    static String text(JsonNode v) {
        if (v == null || v.isMissingNode() || v.isNull()) {
            return "-";
        }
        return v.isValueNode() ? v.asText() : v.toString();
    }

    /** {@code + routes.orders}, {@code - clusters.old}, {@code ~ routes.api.timeouts.request: 5s -> 10s}. */
    static List<String> diff(JsonNode body) {
        List<String> lines = new ArrayList<>();
        for (JsonNode c : body.path("changes")) {
            String path = text(c.path("path"));
            lines.add(switch (c.path("change").asText("")) {
                case "added" -> "+ " + path;
                case "removed" -> "- " + path;
                default -> "~ " + path + ": " + text(c.path("from")) + " -> " + text(c.path("to"));
            });
        }
        return lines;
    }

    static void history(JsonNode body, PrintWriter out) {
        Table t = new Table("VERSION", "CREATED", "AUTHOR", "STATE", "MESSAGE");
        for (JsonNode v : body.path("versions")) {
            t.row(text(v.path("version")), text(v.path("created_at")), text(v.path("author")),
                    text(v.path("state")), text(v.path("message")));
        }
        t.print(out);
    }

    static void audit(JsonNode body, PrintWriter out) {
        Table t = new Table("TIME", "ACTOR", "ACTION", "VERSION", "DETAIL");
        for (JsonNode e : body.path("entries")) {
            t.row(text(e.path("at")), text(e.path("actor")), text(e.path("action")), text(e.path("version")),
                    text(e.path("detail")));
        }
        t.print(out);
    }

    /** A version's metadata, one {@code name: value} line each; {@link #show} adds its YAML. */
    static void version(JsonNode v, PrintWriter out) {
        field(out, "version", text(v.path("version")));
        field(out, "state", text(v.path("state")));
        field(out, "parent", text(v.path("parent")));
        field(out, "hash", text(v.path("hash")));
        field(out, "author", text(v.path("author")));
        field(out, "created", text(v.path("created_at")));
        field(out, "message", Table.oneLine(text(v.path("message"))));
        JsonNode reasons = v.path("reasons");
        if (reasons.isArray() && !reasons.isEmpty()) {
            out.println("reasons:");
            reasons.forEach(r -> out.println("  " + Table.oneLine(text(r))));
        }
    }

    static void show(JsonNode v, PrintWriter out) {
        version(v, out);
        out.println();
        String yaml = v.path("yaml").asText("");
        out.print(yaml.endsWith("\n") || yaml.isEmpty() ? yaml : yaml + "\n");
    }

    static void rollout(JsonNode r, Clock clock, PrintWriter out) {
        String state = r.path("state").asText("none");
        if (state.equals("none")) {
            out.println("no rollout in progress");
            last(r.path("last"), out);
            return;
        }
        field(out, "state", state);
        field(out, "version", text(r.path("version")) + " (baseline " + text(r.path("baseline")) + ")");
        int steps = r.path("steps").size();
        field(out, "step", text(r.path("step")) + "/" + (steps == 0 ? "-" : steps) + ", share "
                + percent(r.path("share")));
        field(out, "step left", state.equals("running") ? stepLeft(r, clock) : state);
        field(out, "split by", text(r.path("split_by")));
        field(out, "auto rollback", r.path("auto_rollback").isBoolean()
                ? (r.path("auto_rollback").booleanValue() ? "on" : "off") : "-");
        out.println();
        Table t = new Table("", "REQUESTS", "FAILURES", "ERROR RATE", "P99 MS");
        for (String side : new String[] {"canary", "baseline"}) {
            JsonNode f = r.path("figures").path(side);
            t.row(side, text(f.path("requests")), text(f.path("failures")), errorRate(f.path("error_rate")),
                    f.path("p99_ms").isNumber() ? String.format(Locale.ROOT, "%.1f", f.path("p99_ms").doubleValue())
                            : "-");
        }
        t.print(out);
        out.println();
        JsonNode verdict = r.path("verdict");
        String reason = verdict.path("reason").asText("");
        field(out, "verdict", text(verdict.path("kind")) + (reason.isEmpty() ? "" : ": " + reason));
        last(r.path("last"), out);
    }

    private static void last(JsonNode last, PrintWriter out) {
        if (!last.isObject()) {
            return;
        }
        String reason = last.path("reason").asText("");
        field(out, "last", "version " + text(last.path("version")) + " " + text(last.path("outcome")) + " at "
                + text(last.path("at")) + (reason.isEmpty() ? "" : " (" + Table.oneLine(reason) + ")"));
    }

    private static void field(PrintWriter out, String name, String value) {
        out.println(String.format(Locale.ROOT, "%-14s %s", name + ":", value));
    }

    /** {@code 0.1} as {@code 10%}, {@code 0.005} as {@code 0.5%}. */
    static String percent(JsonNode share) {
        if (!share.isNumber()) {
            return "-";
        }
        return BigDecimal.valueOf(share.doubleValue()).multiply(BigDecimal.valueOf(100)).stripTrailingZeros()
                .toPlainString() + "%";
    }

    private static String errorRate(JsonNode rate) {
        return rate.isNumber() ? String.format(Locale.ROOT, "%.2f%%", rate.doubleValue() * 100) : "-";
    }

    /** The time left in the current step, by the CLI's clock: the API says when the step began and how long it is. */
    static String stepLeft(JsonNode r, Clock clock) {
        JsonNode duration = r.path("step_duration_seconds");
        Instant started;
        try {
            started = Instant.parse(r.path("step_started_at").asText(""));
        } catch (DateTimeParseException e) {
            return "-";
        }
        if (!duration.isNumber()) {
            return "-";
        }
        Duration length = Duration.ofMillis(Math.round(duration.doubleValue() * 1000));
        Duration left = Duration.between(clock.instant(), started.plus(length));
        if (left.isNegative()) {
            left = Duration.ZERO;
        }
        return seconds(left) + " of " + seconds(length);
    }

    private static String seconds(Duration d) {
        long s = (d.toMillis() + 999) / 1000;
        return s < 120 ? s + "s" : (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
    }
}
