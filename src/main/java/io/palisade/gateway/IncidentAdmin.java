package io.palisade.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.palisade.admin.AdminReply;
import io.palisade.admin.Caller;
import io.palisade.admin.IncidentApi;
import io.palisade.status.Actor;
import io.palisade.status.ComponentStatus;
import io.palisade.status.IllegalTransitionException;
import io.palisade.status.Impact;
import io.palisade.status.Incident;
import io.palisade.status.IncidentBook;
import io.palisade.status.IncidentEdit;
import io.palisade.status.IncidentStatus;
import io.palisade.status.Maintenance;
import io.palisade.status.NewIncident;
import io.palisade.status.NewMaintenance;
import io.palisade.store.Audit;
import io.palisade.store.StateStore;
import io.palisade.store.StoreException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin port's incidents and maintenances over the status page's {@link IncidentBook}. Changes run on the control
 * thread (the book saves to the state store, which blocks) as the caller ({@link Caller#describe()} is the person the
 * history shows), and each one that happened is written to the audit log with the caller.
 *
 * <p>What a refused call answers: 400 for a field of the wrong JSON type, 404 for an unknown id, 409 for a change the
 * incident state machine does not allow (it is the incident's current state that conflicts), 422 for a well-formed
 * body the book refuses (an unknown component or status, an empty message, a window in the past), 503 when the state
 * store cannot save; nothing changes.
 */
final class IncidentAdmin implements IncidentApi {
    private static final Logger log = LoggerFactory.getLogger(IncidentAdmin.class);

    private final IncidentBook book;
    private final StateStore store;
    private final Executor control;
    private final Clock clock;

    IncidentAdmin(IncidentBook book, StateStore store, Executor control, Clock clock) {
        this.book = book;
        this.store = store;
        this.control = control;
        this.clock = clock;
    }

    /** A field of the wrong JSON type: a 400. */
    private static final class BadField extends RuntimeException {
        BadField(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public CompletionStage<AdminReply> incidents() {
        ObjectNode body = IncidentJson.JSON.createObjectNode();
        ArrayNode list = body.putArray("incidents");
        book.incidents().forEach(i -> list.add(IncidentJson.incident(i)));
        return CompletableFuture.completedFuture(new AdminReply(200, body));
    }

    @Override
    public CompletionStage<AdminReply> incident(String id) {
        return CompletableFuture.completedFuture(book.incident(id).map(i -> new AdminReply(200,
                IncidentJson.incident(i))).orElseGet(() -> notFound("incident", id)));
    }

    @Override
    public CompletionStage<AdminReply> open(ObjectNode body, Caller caller) {
        return change(() -> {
            IncidentStatus status = optText(body, "status").map(IncidentAdmin::status)
                    .orElse(IncidentStatus.INVESTIGATING);
            NewIncident spec = new NewIncident(text(body, "name"), text(body, "message"), status,
                    optText(body, "impact").map(IncidentAdmin::impact), components(body),
                    !bool(body, "draft"));
            Incident i = book.open(spec, actor(caller));
            audit(caller, "incident.open", i.id() + " " + i.name() + " (" + i.status().wire()
                    + (i.isPublished() ? "" : ", draft") + ")");
            return new AdminReply(201, IncidentJson.incident(i));
        });
    }

    @Override
    public CompletionStage<AdminReply> update(String id, ObjectNode body, Caller caller) {
        return change(() -> {
            Optional<IncidentStatus> status = optText(body, "status").map(IncidentAdmin::status);
            Optional<String> message = optText(body, "message");
            Incident i;
            if (status.equals(Optional.of(IncidentStatus.RESOLVED)) && message.isEmpty()) {
                i = book.resolve(id, "", actor(caller));
            } else {
                IncidentEdit edit = new IncidentEdit(text(body, "message"), status,
                        optText(body, "impact").map(IncidentAdmin::impact), optText(body, "name"),
                        components(body));
                i = book.update(id, edit, actor(caller));
            }
            audit(caller, "incident.update", id + " " + i.status().wire());
            return new AdminReply(200, IncidentJson.incident(i));
        });
    }

    @Override
    public CompletionStage<AdminReply> publish(String id, Caller caller) {
        return change(() -> {
            Incident i = book.publish(id, actor(caller));
            audit(caller, "incident.publish", id);
            return new AdminReply(200, IncidentJson.incident(i));
        });
    }

    @Override
    public CompletionStage<AdminReply> postmortem(String id, String text, Caller caller) {
        return change(() -> {
            Incident i = book.postmortem(id, text, actor(caller));
            audit(caller, "incident.postmortem", id + " (" + text.length() + " characters)");
            return new AdminReply(200, IncidentJson.incident(i));
        });
    }

    @Override
    public CompletionStage<AdminReply> maintenances() {
        Instant now = clock.instant();
        ObjectNode body = IncidentJson.JSON.createObjectNode();
        ArrayNode list = body.putArray("scheduled_maintenances");
        book.maintenances().forEach(m -> list.add(IncidentJson.maintenance(m, now)));
        return CompletableFuture.completedFuture(new AdminReply(200, body));
    }

    @Override
    public CompletionStage<AdminReply> schedule(ObjectNode body, Caller caller) {
        return change(() -> {
            List<String> components = new ArrayList<>();
            JsonNode list = body.get("components");
            if (list != null && !list.isNull()) {
                if (!list.isArray()) {
                    throw new BadField("components: expected an array of component ids");
                }
                for (JsonNode c : list) {
                    if (!c.isTextual()) {
                        throw new BadField("components: expected an array of component ids");
                    }
                    components.add(c.textValue());
                }
            }
            NewMaintenance spec = new NewMaintenance(text(body, "name"),
                    optText(body, "message").orElse("Scheduled maintenance."), instant(body, "scheduled_for"),
                    instant(body, "scheduled_until"), components);
            Maintenance m = book.schedule(spec, actor(caller));
            audit(caller, "maintenance.schedule", m.id() + " " + m.name() + " " + m.scheduledFor() + ".."
                    + m.scheduledUntil());
            return new AdminReply(201, IncidentJson.maintenance(m, clock.instant()));
        });
    }

    /** Runs a change on the control thread, answering a refusal with its status. */
    private CompletionStage<AdminReply> change(Supplier<AdminReply> work) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.get();
            } catch (BadField e) {
                return reply(400, "invalid_field", e.getMessage());
            } catch (NoSuchElementException e) {
                return reply(404, "not_found", e.getMessage() + ".");
            } catch (IllegalTransitionException e) {
                return reply(409, "illegal_transition", e.getMessage());
            } catch (IllegalArgumentException e) {
                return reply(422, "invalid_incident", e.getMessage());
            } catch (StoreException e) {
                log.warn("could not save an incident change", e);
                return reply(503, "store_unavailable", "The state store cannot save: " + e.getMessage());
            }
        }, control);
    }

    private void audit(Caller caller, String action, String detail) {
        try {
            store.audit(new Audit(clock.instant(), caller.describe(), action, OptionalLong.empty(), detail));
        } catch (RuntimeException e) {
            log.warn("could not write the audit entry {} {}: {}", action, detail, e.getMessage());
        }
    }

    private static Actor actor(Caller caller) {
        return Actor.person(caller.describe());
    }

    private static String text(JsonNode body, String field) {
        return optText(body, field).orElseThrow(() -> new BadField(field + ": missing (expected: a string)"));
    }

    private static Optional<String> optText(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw new BadField(field + ": " + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
                    + " (expected: a string)");
        }
        return Optional.of(v.textValue());
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new BadField(field + ": expected true or false");
        }
        return v.booleanValue();
    }

    private static Instant instant(JsonNode body, String field) {
        String t = text(body, field);
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(field + ": " + t + " (expected: an ISO-8601 instant such as"
                    + " 2026-03-01T22:00:00Z)");
        }
    }

    /** {@code {"components": {"ID": "STATUS", ...}}}, as Statuspage's incident API takes them. */
    private static Map<String, ComponentStatus> components(JsonNode body) {
        JsonNode v = body.get("components");
        Map<String, ComponentStatus> out = new LinkedHashMap<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isObject()) {
            throw new BadField("components: expected an object of component id to status");
        }
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            if (!e.getValue().isTextual()) {
                throw new BadField("components." + e.getKey() + ": expected a status string");
            }
            out.put(e.getKey(), ComponentStatus.fromWire(e.getValue().textValue()).orElseThrow(() ->
                    new IllegalArgumentException("components." + e.getKey() + ": " + e.getValue().textValue()
                            + " (expected one of: operational, under_maintenance, degraded_performance,"
                            + " partial_outage, major_outage)")));
        }
        return out;
    }

    private static IncidentStatus status(String s) {
        return IncidentStatus.fromWire(s).orElseThrow(() -> new IllegalArgumentException("status: " + s
                + " (expected one of: investigating, identified, monitoring, resolved)"));
    }

    private static Impact impact(String s) {
        return Impact.fromWire(s).orElseThrow(() -> new IllegalArgumentException("impact: " + s
                + " (expected one of: none, minor, major, critical)"));
    }

    private static AdminReply notFound(String what, String id) {
        return reply(404, "not_found", "No " + what + " " + id + ".");
    }

    private static AdminReply reply(int status, String code, String message) {
        return new AdminReply(status, IncidentJson.JSON.createObjectNode().put("error", code).put("message", message));
    }
}
