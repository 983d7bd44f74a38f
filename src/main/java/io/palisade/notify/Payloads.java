package io.palisade.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.palisade.status.BookEvent.IncidentEvent;
import io.palisade.status.ComponentChange;
import io.palisade.status.ComponentStatus;
import io.palisade.status.Incident;
import io.palisade.status.IncidentUpdate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Webhook bodies shaped like Statuspage's: {@code {meta, page, incident}} for an incident change and
 * {@code {meta, page, component_update, component}} for each component whose status an incident update changed. Only
 * what the book's event carries: {@code page} has no overall indicator, since a listener may not ask the book.
 */
final class Payloads {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final String pageTitle;
    private final Map<String, String> componentNames;

    Payloads(String pageTitle, Map<String, String> componentNames) {
        this.pageTitle = pageTitle;
        this.componentNames = Map.copyOf(componentNames);
    }

    /** The bodies one change sends to every subscriber: none for a draft (the public may not hear of it). */
    List<String> of(IncidentEvent event) {
        Incident incident = event.after();
        if (!incident.isPublished()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        out.add(write(incidentBody(event)));
        if (event.kind() != IncidentEvent.Kind.POSTMORTEM && event.kind() != IncidentEvent.Kind.PUBLISHED) {
            IncidentUpdate update = incident.latestUpdate();
            for (ComponentChange change : update.affectedComponents()) {
                if (change.oldStatus() != change.newStatus()) {
                    out.add(write(componentBody(event, update, change)));
                }
            }
        }
        return out;
    }

    private ObjectNode envelope(String type, Instant at) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode meta = root.putObject("meta");
        meta.put("event_type", type);
        meta.put("generated_at", time(at));
        root.putObject("page").put("name", pageTitle);
        return root;
    }

    private ObjectNode incidentBody(IncidentEvent event) {
        Incident i = event.after();
        ObjectNode root = envelope("incident." + event.kind().name().toLowerCase(Locale.ROOT), event.at());
        ObjectNode o = root.putObject("incident");
        o.put("id", i.id());
        o.put("name", i.name());
        o.put("status", i.status().wire());
        o.put("impact", i.impact().wire());
        o.put("created_at", time(i.createdAt()));
        o.put("updated_at", time(i.updatedAt()));
        o.put("started_at", time(i.startedAt()));
        putTime(o, "monitoring_at", i.monitoringAt());
        putTime(o, "resolved_at", i.resolvedAt());
        o.put("shortlink", "/#incident-" + i.id());
        ArrayNode updates = o.putArray("incident_updates");
        for (IncidentUpdate u : i.updates().reversed()) {
            ObjectNode un = updates.addObject();
            un.put("id", u.id());
            un.put("incident_id", u.incidentId());
            un.put("status", u.status().wire());
            un.put("body", u.body());
            un.put("created_at", time(u.createdAt()));
            un.put("updated_at", time(u.createdAt()));
            un.put("display_at", time(u.createdAt()));
            ArrayNode affected = un.putArray("affected_components");
            for (ComponentChange c : u.affectedComponents()) {
                affected.addObject().put("code", c.component()).put("name", name(c.component()))
                        .put("old_status", c.oldStatus().wire()).put("new_status", c.newStatus().wire());
            }
        }
        ArrayNode components = o.putArray("components");
        for (Map.Entry<String, ComponentStatus> c : i.components().entrySet()) {
            components.addObject().put("id", c.getKey()).put("name", name(c.getKey()))
                    .put("status", c.getValue().wire());
        }
        return root;
    }

    private ObjectNode componentBody(IncidentEvent event, IncidentUpdate update, ComponentChange change) {
        ObjectNode root = envelope("component.updated", event.at());
        ObjectNode cu = root.putObject("component_update");
        cu.put("id", update.id() + "-" + change.component());
        cu.put("component_id", change.component());
        cu.put("created_at", time(update.createdAt()));
        cu.put("old_status", change.oldStatus().wire());
        cu.put("new_status", change.newStatus().wire());
        ObjectNode c = root.putObject("component");
        c.put("id", change.component());
        c.put("name", name(change.component()));
        c.put("status", change.newStatus().wire());
        c.put("updated_at", time(update.createdAt()));
        return root;
    }

    private String name(String component) {
        return componentNames.getOrDefault(component, component);
    }

    private static void putTime(ObjectNode o, String field, Optional<Instant> t) {
        if (t.isPresent()) {
            o.put(field, time(t.get()));
        } else {
            o.putNull(field);
        }
    }

    private static String time(Instant t) {
        return TIME.format(t);
    }

    private static String write(ObjectNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings always serialises", e);
        }
    }
}
