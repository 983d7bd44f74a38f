package io.palisade.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.palisade.admin.AdminReply;
import io.palisade.admin.Caller;
import io.palisade.admin.IngestApi;
import io.palisade.ingest.IngestService;
import io.palisade.store.Audit;
import io.palisade.store.IngestLog;
import io.palisade.store.StateStore;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin port's {@code /ingest} resources over the gateway's {@link IngestService}: renders its figures and
 * records as JSON, and writes each replay and purge to the audit log with who asked (on the control thread, where
 * the config store is used).
 */
final class IngestAdmin implements IngestApi {
    private static final Logger log = LoggerFactory.getLogger(IngestAdmin.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Enough of a body to recognise it; the whole record goes to the upstream, not to an operator's terminal. */
    static final int EXCERPT_BYTES = 4096;

    private final IngestService ingest;
    private final StateStore store;
    private final Executor control;
    private final Clock clock;

    IngestAdmin(IngestService ingest, StateStore store, Executor control, Clock clock) {
        this.ingest = ingest;
        this.store = store;
        this.control = control;
        this.clock = clock;
    }

    @Override
    public CompletionStage<AdminReply> status() {
        return ingest.status().thenApply(s -> {
            ObjectNode body = JSON.createObjectNode();
            body.put("state", s.state());
            if (!s.problem().isEmpty()) {
                body.put("problem", s.problem());
            }
            ObjectNode disk = body.putObject("disk");
            disk.put("used_bytes", s.usedBytes());
            disk.put("max_disk_bytes", s.maxDiskBytes());
            disk.put("file_bytes", s.fileBytes());
            disk.put("free_bytes", s.freeDisk());
            disk.put("torn_bytes_recovered", s.tornBytes());
            IngestService.JournalFigures j = s.journal();
            ObjectNode journal = body.putObject("journal");
            journal.put("commits", j.commits());
            journal.put("records", j.records());
            journal.put("mean_group_size", j.commits() == 0 ? 0 : (double) j.records() / j.commits());
            journal.put("mean_commit_seconds", j.commits() == 0 ? 0 : j.commitSeconds() / j.commits());
            journal.put("commit_seconds_p50_bound", j.commitLatencyQuantile(0.5));
            journal.put("commit_seconds_p99_bound", j.commitLatencyQuantile(0.99));
            journal.put("group_size_p99_bound", j.groupSizeQuantile(0.99));
            journal.put("queue_depth", j.queueDepth());
            journal.put("busy_refusals", j.busy());
            ArrayNode routes = body.putArray("routes");
            for (IngestService.RouteStatus r : s.routes()) {
                ObjectNode o = routes.addObject();
                o.put("route", r.route());
                o.put("cluster", r.cluster());
                o.put("configured", r.configured());
                o.put("backlog", r.backlog());
                o.put("backlog_bytes", r.backlogBytes());
                o.put("oldest_age_seconds", r.oldestAgeSeconds());
                o.put("in_flight", r.inFlight());
                o.put("delivered", r.delivered());
                o.put("retried", r.retried());
                o.put("quarantined", r.quarantined());
                o.put("quarantined_bytes", r.quarantinedBytes());
                o.put("bytes", r.bytes());
                o.put("quota_bytes", r.quotaBytes());
                o.put("accepted", r.accepted());
                o.put("duplicates", r.duplicates());
                ObjectNode rejected = o.putObject("rejected");
                r.rejected().forEach(rejected::put);
            }
            return new AdminReply(200, body);
        });
    }

    @Override
    public CompletionStage<AdminReply> quarantine(String route, int limit) {
        if (!ingest.knows(route)) {
            return notFound("No ingest route " + route + ".");
        }
        return guarded(ingest.quarantine(route, limit).thenApply(list -> {
            ObjectNode body = JSON.createObjectNode();
            body.put("route", route);
            ArrayNode records = body.putArray("records");
            for (IngestLog.Quarantined q : list) {
                ObjectNode o = records.addObject();
                o.put("id", q.id());
                o.put("received_at", q.receivedAt().toString());
                o.put("quarantined_at", q.quarantinedAt().toString());
                o.put("attempts", q.attempts());
                o.put("last_status", q.lastStatus());
                o.put("last_error", q.lastError());
                o.put("reason", q.reason());
                o.put("bytes", q.bytes());
            }
            return new AdminReply(200, body);
        }));
    }

    @Override
    public CompletionStage<AdminReply> record(String route, String id) {
        if (!ingest.knows(route)) {
            return notFound("No ingest route " + route + ".");
        }
        return guarded(ingest.record(route, id, EXCERPT_BYTES).thenApply(found -> {
            if (found.isEmpty()) {
                return new AdminReply(404, error("not_found", "No stored record " + id + " on route " + route
                        + " (never accepted, delivered, or purged)."));
            }
            IngestLog.Detail d = found.get();
            ObjectNode o = JSON.createObjectNode();
            o.put("id", d.id());
            o.put("route", d.route());
            o.put("state", d.state());
            o.put("received_at", d.receivedAt().toString());
            o.put("method", d.method());
            o.put("path", d.path());
            o.put("query", d.query());
            ArrayNode headers = o.putArray("headers");
            d.headers().forEach(h -> headers.addObject().put("name", h.name()).put("value", h.value()));
            d.consumer().ifPresent(c -> o.put("consumer", c));
            o.put("body_bytes", d.bodyBytes());
            excerpt(o, d.bodyExcerpt(), d.bodyBytes());
            ArrayNode attempts = o.putArray("attempts");
            d.attempts().forEach(a -> attempts.addObject().put("at", a.at().toString()).put("status", a.status())
                    .put("error", a.error()));
            d.nextAttemptAt().ifPresent(at -> o.put("next_attempt_at", at.toString()));
            if (!d.reason().isEmpty()) {
                o.put("reason", d.reason());
            }
            return new AdminReply(200, o);
        }));
    }

    /** UTF-8 text as it is; anything else as base64, so a binary body never breaks a terminal or the JSON. */
    private static void excerpt(ObjectNode o, byte[] bytes, long total) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            o.put("body_encoding", "utf-8");
            o.put("body_excerpt", text);
        } catch (CharacterCodingException e) {
            // An excerpt may cut a UTF-8 sequence in two; such a body is still shown safely, as base64.
            o.put("body_encoding", "base64");
            o.put("body_excerpt", Base64.getEncoder().encodeToString(bytes));
        }
        o.put("body_truncated", bytes.length < total);
    }

    @Override
    public CompletionStage<AdminReply> replay(String route, List<String> ids, boolean all, Caller caller) {
        if (!ingest.knows(route)) {
            return notFound("No ingest route " + route + ".");
        }
        return guarded(ingest.replay(route, ids, all).thenApply(n -> {
            audit(caller, "ingest.replay", route + ": " + n + " record(s) " + (all ? "(all)" : ids.toString()));
            return new AdminReply(200, JSON.createObjectNode().put("route", route).put("replayed", n));
        }));
    }

    @Override
    public CompletionStage<AdminReply> purge(String route, List<String> ids, boolean all, Caller caller) {
        if (!ingest.knows(route)) {
            return notFound("No ingest route " + route + ".");
        }
        return guarded(ingest.purge(route, ids, all).thenApply(removed -> {
            audit(caller, "ingest.purge", route + ": " + removed.records() + " record(s), " + removed.bytes()
                    + " bytes " + (all ? "(all)" : ids.toString()));
            return new AdminReply(200, JSON.createObjectNode().put("route", route).put("purged", removed.records())
                    .put("bytes", removed.bytes()));
        }));
    }

    private void audit(Caller caller, String action, String detail) {
        Audit entry = new Audit(clock.instant(), caller.describe(), action, OptionalLong.empty(), detail);
        control.execute(() -> {
            try {
                store.audit(entry);
            } catch (RuntimeException e) {
                log.warn("could not write the audit entry {} {}: {}", action, detail, e.getMessage());
            }
        });
    }

    /** The store not open yet (or failing) is a 503 the operator can read, not a bare 500. */
    private static CompletionStage<AdminReply> guarded(CompletionStage<AdminReply> stage) {
        return stage.exceptionally(e -> new AdminReply(503, error("ingest_unavailable",
                "The ingest store cannot answer: " + (e.getCause() != null ? e.getCause() : e).getMessage())));
    }

    private static CompletionStage<AdminReply> notFound(String message) {
        return CompletableFuture.completedFuture(new AdminReply(404, error("not_found", message)));
    }

    private static ObjectNode error(String code, String message) {
        return JSON.createObjectNode().put("error", code).put("message", message);
    }
}
