package io.palisade.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.palisade.status.Actor;
import io.palisade.status.ComponentChange;
import io.palisade.status.ComponentStatus;
import io.palisade.status.Impact;
import io.palisade.status.Incident;
import io.palisade.status.IncidentStatus;
import io.palisade.status.IncidentUpdate;
import io.palisade.status.Maintenance;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Incidents and maintenances as JSON, Statuspage's field names ({@code id, name, status, impact, created_at, ...,
 * incident_updates, components}) plus what only operators see (draft, who opened, published and wrote each update,
 * the postmortem). The same text is what the state store keeps and what the admin API answers, so reading it back
 * gives the same record: every update and who made it survive a restart.
 */
final class IncidentJson {
    static final ObjectMapper JSON = new ObjectMapper();

    private IncidentJson() {}

    static ObjectNode incident(Incident i) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", i.id());
        o.put("name", i.name());
        o.put("status", i.status().wire());
        o.put("impact", i.impact().wire());
        o.put("draft", !i.isPublished());
        o.put("created_at", i.createdAt().toString());
        o.put("updated_at", i.updatedAt().toString());
        o.put("started_at", i.startedAt().toString());
        time(o, "monitoring_at", i.monitoringAt());
        time(o, "resolved_at", i.resolvedAt());
        time(o, "published_at", i.publishedAt());
        o.set("opened_by", actor(i.openedBy()));
        o.set("published_by", i.publishedBy().<JsonNode>map(IncidentJson::actor).orElse(JSON.nullNode()));
        ArrayNode components = o.putArray("components");
        i.components().forEach((id, s) -> components.addObject().put("id", id).put("status", s.wire()));
        ArrayNode updates = o.putArray("incident_updates");
        for (IncidentUpdate u : i.updates().reversed()) { // newest first, as Statuspage lists them
            ObjectNode uo = updates.addObject();
            uo.put("id", u.id());
            uo.put("incident_id", u.incidentId());
            uo.put("status", u.status().wire());
            uo.put("body", u.body());
            uo.put("created_at", u.createdAt().toString());
            uo.set("actor", actor(u.actor()));
            ArrayNode affected = uo.putArray("affected_components");
            for (ComponentChange c : u.affectedComponents()) {
                affected.addObject().put("code", c.component()).put("old_status", c.oldStatus().wire())
                        .put("new_status", c.newStatus().wire());
            }
        }
        o.put("postmortem_body", i.postmortem().orElse(null));
        time(o, "postmortem_published_at", i.postmortemAt());
        o.set("postmortem_by", i.postmortemBy().<JsonNode>map(IncidentJson::actor).orElse(JSON.nullNode()));
        return o;
    }

    static Incident incident(JsonNode o) {
        Map<String, ComponentStatus> components = new LinkedHashMap<>();
        o.get("components").forEach(c -> components.put(c.get("id").textValue(),
                ComponentStatus.fromWire(c.get("status").textValue()).orElseThrow()));
        List<IncidentUpdate> updates = new ArrayList<>();
        for (JsonNode u : o.get("incident_updates")) {
            List<ComponentChange> changes = new ArrayList<>();
            u.get("affected_components").forEach(c -> changes.add(new ComponentChange(c.get("code").textValue(),
                    ComponentStatus.fromWire(c.get("old_status").textValue()).orElseThrow(),
                    ComponentStatus.fromWire(c.get("new_status").textValue()).orElseThrow())));
            updates.addFirst(new IncidentUpdate(u.get("id").textValue(), u.get("incident_id").textValue(),
                    IncidentStatus.fromWire(u.get("status").textValue()).orElseThrow(), u.get("body").textValue(),
                    Instant.parse(u.get("created_at").textValue()), actor(u.get("actor")), changes));
        }
        return new Incident(o.get("id").textValue(), o.get("name").textValue(),
                IncidentStatus.fromWire(o.get("status").textValue()).orElseThrow(),
                Impact.fromWire(o.get("impact").textValue()).orElseThrow(), instant(o, "created_at"),
                instant(o, "updated_at"), instant(o, "started_at"), optInstant(o, "monitoring_at"),
                optInstant(o, "resolved_at"), components, updates, optInstant(o, "published_at"),
                actor(o.get("opened_by")), optActor(o, "published_by"), optText(o, "postmortem_body"),
                optInstant(o, "postmortem_published_at"), optActor(o, "postmortem_by"));
    }

    /** {@code now} gives the status (scheduled, in_progress, completed), which follows from the time. */
    static ObjectNode maintenance(Maintenance m, Instant now) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", m.id());
        o.put("name", m.name());
        o.put("status", m.status(now).wire());
        o.put("impact", "maintenance");
        o.put("body", m.body());
        o.put("scheduled_for", m.scheduledFor().toString());
        o.put("scheduled_until", m.scheduledUntil().toString());
        o.put("created_at", m.createdAt().toString());
        o.put("updated_at", m.updatedAt().toString());
        o.set("created_by", actor(m.createdBy()));
        time(o, "completed_at", m.completedAt());
        o.set("completed_by", m.completedBy().<JsonNode>map(IncidentJson::actor).orElse(JSON.nullNode()));
        ArrayNode components = o.putArray("components");
        m.components().forEach(c -> components.addObject().put("id", c));
        return o;
    }

    static Maintenance maintenance(JsonNode o) {
        List<String> components = new ArrayList<>();
        o.get("components").forEach(c -> components.add(c.get("id").textValue()));
        return new Maintenance(o.get("id").textValue(), o.get("name").textValue(), o.get("body").textValue(),
                instant(o, "scheduled_for"), instant(o, "scheduled_until"), components, instant(o, "created_at"),
                instant(o, "updated_at"), actor(o.get("created_by")), optInstant(o, "completed_at"),
                optActor(o, "completed_by"));
    }

    static String text(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static ObjectNode actor(Actor a) {
        return JSON.createObjectNode().put("kind", a.isPalisade() ? "palisade" : "person").put("name", a.name());
    }

    private static Actor actor(JsonNode o) {
        return "palisade".equals(o.get("kind").textValue()) ? Actor.palisade()
                : Actor.person(o.get("name").textValue());
    }

    private static Optional<Actor> optActor(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(actor(v));
    }

    private static void time(ObjectNode o, String field, Optional<Instant> t) {
        o.put(field, t.map(Instant::toString).orElse(null));
    }

    private static Instant instant(JsonNode o, String field) {
        return Instant.parse(o.get(field).textValue());
    }

    private static Optional<Instant> optInstant(JsonNode o, String field) {
        return optText(o, field).map(Instant::parse);
    }

    private static Optional<String> optText(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v.textValue());
    }
}
