package io.palisade.release;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.palisade.admin.AdminReply;
import io.palisade.canary.Figures;
import io.palisade.canary.Side;
import io.palisade.canary.Verdict;
import io.palisade.store.AuditRecord;
import io.palisade.store.StoredVersion;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/** The admin API's JSON shapes for versions, rollouts and the audit (docs/admin-api.md shows them). */
final class ReleaseJson {
    static final ObjectMapper JSON = new ObjectMapper();

    private ReleaseJson() {}

    static ObjectNode version(StoredVersion v) {
        ObjectNode o = JSON.createObjectNode();
        o.put("version", v.number());
        o.put("state", v.state().label());
        o.put("hash", v.hash());
        if (v.parent().isPresent()) {
            o.put("parent", v.parent().getAsLong());
        } else {
            o.putNull("parent");
        }
        o.put("author", v.author());
        o.put("message", v.message());
        o.put("created_at", v.createdAt().toString());
        ArrayNode reasons = o.putArray("reasons");
        v.reasons().forEach(reasons::add);
        return o;
    }

    static ObjectNode versions(List<StoredVersion> versions) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode list = o.putArray("versions");
        versions.forEach(v -> list.add(version(v)));
        return o;
    }

    static ObjectNode audit(List<AuditRecord> rows) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode list = o.putArray("entries");
        for (AuditRecord r : rows) {
            ObjectNode e = list.addObject();
            e.put("id", r.id());
            e.put("at", r.at().toString());
            e.put("actor", r.actor());
            e.put("action", r.action());
            if (r.version().isPresent()) {
                e.put("version", r.version().getAsLong());
            } else {
                e.putNull("version");
            }
            e.put("detail", r.detail());
        }
        return o;
    }

    static ObjectNode rollout(Rollout<?, ?> r, Ended last) {
        ObjectNode o = JSON.createObjectNode();
        if (r == null) {
            o.put("state", "none");
        } else {
            RolloutPolicy p = r.policy;
            o.put("state", r.paused ? "paused" : "running");
            o.put("version", r.canary.number());
            o.put("baseline", r.baseline.number());
            o.put("step", r.step + 1);
            ArrayNode steps = o.putArray("steps");
            p.steps().forEach(steps::add);
            o.put("share", r.share());
            o.put("step_started_at", r.stepStartedAt.toString());
            o.put("step_duration_seconds", p.stepDuration().toMillis() / 1000.0);
            o.put("min_requests", p.minRequests());
            o.put("split_by", p.splitBy().label());
            o.put("auto_rollback", p.autoRollback());
            o.set("figures", figures(r.judge.figures()));
            if (r.lastVerdict != null) {
                ObjectNode v = o.putObject("verdict");
                v.put("kind", r.lastVerdict.kind().name().toLowerCase(Locale.ROOT));
                v.put("reason", r.lastVerdict.reason());
            } else {
                o.putObject("verdict").put("kind", "insufficient").put("reason", "no look taken yet");
            }
        }
        if (last != null) {
            ObjectNode l = o.putObject("last");
            l.put("version", last.version());
            l.put("outcome", last.outcome());
            l.put("at", last.at().toString());
            l.put("reason", last.reason());
        }
        return o;
    }

    static ObjectNode figures(Figures f) {
        ObjectNode o = JSON.createObjectNode();
        o.set("canary", side(f.canary()));
        o.set("baseline", side(f.baseline()));
        return o;
    }

    private static ObjectNode side(Side s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("version", s.version());
        o.put("requests", s.requests());
        o.put("failures", s.failures());
        o.put("error_rate", s.errorRate());
        o.put("p99_ms", Double.isFinite(s.p99Millis()) ? s.p99Millis() : 0.0);
        return o;
    }

    static String describe(Verdict v) {
        Figures f = v.figures();
        return v.reason() + " (canary " + f.canary().failures() + "/" + f.canary().requests() + " failed, p99 "
                + String.format(Locale.ROOT, "%.1f", f.canary().p99Millis()) + " ms; baseline "
                + f.baseline().failures() + "/" + f.baseline().requests() + ", p99 "
                + String.format(Locale.ROOT, "%.1f", f.baseline().p99Millis()) + " ms)";
    }

    static AdminReply ok(JsonNode body) {
        return new AdminReply(200, body);
    }

    static AdminReply status(int status, JsonNode body) {
        return new AdminReply(status, body);
    }

    static AdminReply errors(int status, List<String> errors) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode list = o.putArray("errors");
        errors.forEach(list::add);
        return new AdminReply(status, o);
    }

    static AdminReply error(int status, String code, String message) {
        return new AdminReply(status, JSON.createObjectNode().put("error", code).put("message", message));
    }

    static ObjectNode message(String state, long version, String message) {
        return JSON.createObjectNode().put("state", state).put("version", version).put("message", message);
    }

    /** How the last rollout ended, for {@code GET /config/rollout} after it is over. */
    record Ended(long version, String outcome, Instant at, String reason) {}
}
