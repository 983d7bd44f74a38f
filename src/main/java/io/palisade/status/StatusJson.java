package io.palisade.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.palisade.status.PageView.ComponentView;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The page as Statuspage's public API v2 has it, field for field, so clients and widgets written for
 * {@code /api/v2/*.json} read it unchanged. Differences, all within the types Statuspage uses: {@code page.url} and
 * {@code shortlink} are relative ({@code /}, {@code /#incident-ID}: the gateway does not know the name the public
 * reaches it by, and exported copies are served from elsewhere), and {@code time_zone} is {@code Etc/UTC}.
 */
final class StatusJson {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Statuspage's lists stop at the 50 most recent. */
    static final int LIST_LIMIT = 50;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final PageView view;

    StatusJson(PageView view) {
        this.view = view;
    }

    /** Path (under {@code /api/v2/}) to body, for every resource. */
    Map<String, byte[]> all() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put("summary.json", bytes(summary()));
        out.put("status.json", bytes(withPage().set("status", status())));
        out.put("components.json", bytes(withPage().set("components", components())));
        out.put("incidents.json", bytes(withPage().set("incidents", incidents(limit(view.incidents())))));
        out.put("incidents/unresolved.json", bytes(withPage().set("incidents", incidents(view.unresolved()))));
        List<Maintenance> recent = view.maintenances().stream()
                .sorted(Comparator.comparing(Maintenance::scheduledFor).reversed()).toList();
        out.put("scheduled-maintenances.json", bytes(withPage().set("scheduled_maintenances",
                maintenances(limit(recent)))));
        out.put("scheduled-maintenances/upcoming.json", bytes(withPage().set("scheduled_maintenances",
                maintenances(view.maintenances(Maintenance.Status.SCHEDULED)))));
        out.put("scheduled-maintenances/active.json", bytes(withPage().set("scheduled_maintenances",
                maintenances(view.maintenances(Maintenance.Status.IN_PROGRESS)))));
        return out;
    }

    ObjectNode summary() {
        List<Maintenance> current = new ArrayList<>(view.maintenances(Maintenance.Status.IN_PROGRESS));
        current.addAll(view.maintenances(Maintenance.Status.SCHEDULED));
        ObjectNode root = withPage();
        root.set("components", components());
        root.set("incidents", incidents(view.unresolved()));
        root.set("scheduled_maintenances", maintenances(current));
        root.set("status", status());
        return root;
    }

    private ObjectNode withPage() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode page = root.putObject("page");
        page.put("id", view.pageId());
        page.put("name", view.settings().title());
        page.put("url", "/");
        page.put("time_zone", "Etc/UTC");
        page.put("updated_at", time(view.updatedAt()));
        return root;
    }

    private ObjectNode status() {
        return JSON.createObjectNode().put("indicator", view.indicator().wire())
                .put("description", view.indicator().description);
    }

    private ArrayNode components() {
        ArrayNode out = JSON.createArrayNode();
        view.components().forEach(c -> out.add(component(c)));
        return out;
    }

    private ObjectNode component(ComponentView c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", c.id());
        o.put("name", c.name());
        o.put("status", c.status().wire());
        o.put("created_at", time(c.createdAt()));
        o.put("updated_at", time(c.updatedAt()));
        o.put("position", c.position());
        o.putNull("description");
        o.put("showcase", true);
        o.putNull("start_date");
        o.putNull("group_id");
        o.put("page_id", view.pageId());
        o.put("group", false);
        o.put("only_show_if_degraded", false);
        return o;
    }

    private ArrayNode incidents(List<Incident> incidents) {
        ArrayNode out = JSON.createArrayNode();
        incidents.forEach(i -> out.add(incident(i)));
        return out;
    }

    private ObjectNode incident(Incident i) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", i.id());
        o.put("name", i.name());
        o.put("status", i.status().wire());
        o.put("created_at", time(i.createdAt()));
        o.put("updated_at", time(i.updatedAt()));
        putTime(o, "monitoring_at", i.monitoringAt());
        putTime(o, "resolved_at", i.resolvedAt());
        o.put("impact", i.impact().wire());
        o.put("shortlink", "/#incident-" + i.id());
        o.put("started_at", time(i.startedAt()));
        o.put("page_id", view.pageId());
        ArrayNode updates = o.putArray("incident_updates");
        for (IncidentUpdate u : i.updates().reversed()) { // Statuspage lists the newest first
            updates.add(update(u.id(), u.incidentId(), u.status().wire(), u.body(), u.createdAt(),
                    u.affectedComponents()));
        }
        o.set("components", componentsOf(i.components().keySet()));
        return o;
    }

    private ArrayNode componentsOf(Collection<String> ids) {
        ArrayNode out = JSON.createArrayNode();
        for (ComponentView c : view.components()) { // page order
            if (ids.contains(c.id())) {
                out.add(component(c));
            }
        }
        return out;
    }

    private ObjectNode update(String id, String incidentId, String status, String body, Instant at,
                              List<ComponentChange> changes) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        o.put("status", status);
        o.put("body", body);
        o.put("incident_id", incidentId);
        o.put("created_at", time(at));
        o.put("updated_at", time(at));
        o.put("display_at", time(at));
        if (changes.isEmpty()) {
            o.putNull("affected_components");
        } else {
            ArrayNode affected = o.putArray("affected_components");
            for (ComponentChange ch : changes) {
                affected.addObject().put("code", ch.component()).put("name", view.componentName(ch.component()))
                        .put("old_status", ch.oldStatus().wire()).put("new_status", ch.newStatus().wire());
            }
        }
        o.put("deliver_notifications", true);
        o.putNull("custom_tweet");
        o.putNull("tweet_id");
        return o;
    }

    private ArrayNode maintenances(List<Maintenance> maintenances) {
        ArrayNode out = JSON.createArrayNode();
        maintenances.forEach(m -> out.add(maintenance(m)));
        return out;
    }

    private ObjectNode maintenance(Maintenance m) {
        Maintenance.Status status = m.status(view.now());
        ObjectNode o = JSON.createObjectNode();
        o.put("id", m.id());
        o.put("name", m.name());
        o.put("status", status.wire());
        o.put("created_at", time(m.createdAt()));
        o.put("updated_at", time(m.updatedAt()));
        o.putNull("monitoring_at");
        putTime(o, "resolved_at", status == Maintenance.Status.COMPLETED ? Optional.of(m.endsAt()) : Optional.empty());
        o.put("impact", "maintenance");
        o.put("shortlink", "/#maintenance-" + m.id());
        o.put("started_at", time(m.scheduledFor()));
        o.put("page_id", view.pageId());
        ArrayNode updates = o.putArray("incident_updates");
        for (MaintenanceUpdate u : MaintenanceUpdate.of(m, view.now()).reversed()) {
            updates.add(update(u.id(), m.id(), u.status().wire(), u.body(), u.at(), u.changes()));
        }
        o.set("components", componentsOf(m.components()));
        o.put("scheduled_for", time(m.scheduledFor()));
        o.put("scheduled_until", time(m.scheduledUntil()));
        return o;
    }

    private static <T> List<T> limit(List<T> list) {
        return list.size() <= LIST_LIMIT ? list : list.subList(0, LIST_LIMIT);
    }

    static String time(Instant t) {
        return TIME.format(t);
    }

    private static void putTime(ObjectNode o, String field, Optional<Instant> t) {
        if (t.isPresent()) {
            o.put(field, time(t.get()));
        } else {
            o.putNull(field);
        }
    }

    static byte[] bytes(ObjectNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
