package io.palisade.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import io.palisade.status.StatusPageSettings.IncidentMode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JSON has Statuspage v2's shape: every field a client reads, with the type Statuspage gives it (a time is an ISO
 * 8601 string, an absent one null), in every resource; drafts appear nowhere.
 */
class StatusJsonTest {
    static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    private static final Actor ANA = Actor.person("ana");

    private static final Map<String, JsonNodeType> PAGE = Map.of("id", JsonNodeType.STRING,
            "name", JsonNodeType.STRING, "url", JsonNodeType.STRING, "time_zone", JsonNodeType.STRING,
            "updated_at", JsonNodeType.STRING);
    private static final Map<String, JsonNodeType> COMPONENT = Map.ofEntries(Map.entry("id", JsonNodeType.STRING),
            Map.entry("name", JsonNodeType.STRING), Map.entry("status", JsonNodeType.STRING),
            Map.entry("created_at", JsonNodeType.STRING), Map.entry("updated_at", JsonNodeType.STRING),
            Map.entry("position", JsonNodeType.NUMBER), Map.entry("description", JsonNodeType.NULL),
            Map.entry("showcase", JsonNodeType.BOOLEAN), Map.entry("start_date", JsonNodeType.NULL),
            Map.entry("group_id", JsonNodeType.NULL), Map.entry("page_id", JsonNodeType.STRING),
            Map.entry("group", JsonNodeType.BOOLEAN), Map.entry("only_show_if_degraded", JsonNodeType.BOOLEAN));
    /** Fields that are a time string or null. */
    private static final List<String> NULLABLE_TIMES = List.of("monitoring_at", "resolved_at");
    private static final Map<String, JsonNodeType> INCIDENT = Map.ofEntries(Map.entry("id", JsonNodeType.STRING),
            Map.entry("name", JsonNodeType.STRING), Map.entry("status", JsonNodeType.STRING),
            Map.entry("created_at", JsonNodeType.STRING), Map.entry("updated_at", JsonNodeType.STRING),
            Map.entry("impact", JsonNodeType.STRING), Map.entry("shortlink", JsonNodeType.STRING),
            Map.entry("started_at", JsonNodeType.STRING), Map.entry("page_id", JsonNodeType.STRING),
            Map.entry("incident_updates", JsonNodeType.ARRAY), Map.entry("components", JsonNodeType.ARRAY));
    private static final Map<String, JsonNodeType> UPDATE = Map.ofEntries(Map.entry("id", JsonNodeType.STRING),
            Map.entry("status", JsonNodeType.STRING), Map.entry("body", JsonNodeType.STRING),
            Map.entry("incident_id", JsonNodeType.STRING), Map.entry("created_at", JsonNodeType.STRING),
            Map.entry("updated_at", JsonNodeType.STRING), Map.entry("display_at", JsonNodeType.STRING),
            Map.entry("deliver_notifications", JsonNodeType.BOOLEAN), Map.entry("custom_tweet", JsonNodeType.NULL),
            Map.entry("tweet_id", JsonNodeType.NULL));
    private static final Map<String, JsonNodeType> AFFECTED = Map.of("code", JsonNodeType.STRING,
            "name", JsonNodeType.STRING, "old_status", JsonNodeType.STRING, "new_status", JsonNodeType.STRING);

    private final MutableClock clock = new MutableClock(T0);
    private StatusPageSettings settings;
    private IncidentBook book;
    private Incident active;
    private Incident resolved;
    private Incident draft;
    private Maintenance inProgress;
    private Maintenance upcoming;

    @BeforeEach
    void aBookWithOneOfEverything() {
        settings = AutoIncidentsTest.settings(IncidentMode.PUBLISH);
        book = new IncidentBook(settings.componentIds(), IncidentStore.inMemory(), clock);
        resolved = book.open(new NewIncident("Yesterday's blip", "Looking.", IncidentStatus.INVESTIGATING,
                Optional.empty(), Map.of("collect", ComponentStatus.DEGRADED_PERFORMANCE), true), ANA);
        clock.advance(Duration.ofMinutes(20));
        resolved = book.resolve(resolved.id(), "Fixed.", ANA);
        clock.advance(Duration.ofMinutes(10));
        active = book.open(new NewIncident("Checkout errors", "Investigating.", IncidentStatus.INVESTIGATING,
                Optional.empty(), Map.of("orders", ComponentStatus.PARTIAL_OUTAGE), true), ANA);
        active = book.update(active.id(), IncidentEdit.status(IncidentStatus.MONITORING, "A fix is out."), ANA);
        draft = book.open(new NewIncident("Secret draft", "Not yet.", IncidentStatus.INVESTIGATING, Optional.empty(),
                Map.of("collect", ComponentStatus.MAJOR_OUTAGE), false), ANA);
        inProgress = book.schedule(new NewMaintenance("Database upgrade", "Short pauses.", clock.instant(),
                clock.instant().plus(Duration.ofHours(1)), List.of("collect")), ANA);
        upcoming = book.schedule(new NewMaintenance("Network work", "Nothing expected.",
                clock.instant().plus(Duration.ofDays(1)), clock.instant().plus(Duration.ofDays(1).plusHours(2)),
                List.of("orders")), ANA);
        clock.advance(Duration.ofMinutes(1));
    }

    private Map<String, JsonNode> render() throws Exception {
        PageView view = PageView.of(settings, book.view(), (c, d) -> OptionalDouble.of(0.999), clock.instant(), T0);
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : new StatusJson(view).all().entrySet()) {
            out.put(e.getKey(), StatusJson.JSON.readTree(e.getValue()));
        }
        return out;
    }

    private static void hasFields(JsonNode node, Map<String, JsonNodeType> fields, String what) {
        for (Map.Entry<String, JsonNodeType> f : fields.entrySet()) {
            assertThat(node.has(f.getKey())).as("%s has %s: %s", what, f.getKey(), node).isTrue();
            assertThat(node.get(f.getKey()).getNodeType()).as("%s.%s", what, f.getKey()).isEqualTo(f.getValue());
            if (f.getValue() == JsonNodeType.STRING && f.getKey().endsWith("_at")) {
                assertThat(Instant.parse(node.get(f.getKey()).asText())).isNotNull();
            }
        }
    }

    private static void isIncident(JsonNode i, String what, boolean maintenance) {
        hasFields(i, INCIDENT, what);
        for (String t : NULLABLE_TIMES) {
            assertThat(i.get(t).isNull() || i.get(t).isTextual()).as("%s.%s", what, t).isTrue();
        }
        if (maintenance) {
            assertThat(Instant.parse(i.get("scheduled_for").asText())).isNotNull();
            assertThat(Instant.parse(i.get("scheduled_until").asText())).isNotNull();
            assertThat(i.get("impact").asText()).isEqualTo("maintenance");
            assertThat(i.get("status").asText()).isIn("scheduled", "in_progress", "verifying", "completed");
        } else {
            assertThat(i.get("impact").asText()).isIn("none", "minor", "major", "critical");
            assertThat(i.get("status").asText()).isIn("investigating", "identified", "monitoring", "resolved",
                    "postmortem");
        }
        for (JsonNode u : i.get("incident_updates")) {
            hasFields(u, UPDATE, what + ".incident_updates[]");
            assertThat(u.get("incident_id").asText()).isEqualTo(i.get("id").asText());
            JsonNode affected = u.get("affected_components");
            assertThat(affected.isNull() || affected.isArray()).isTrue();
            affected.forEach(a -> hasFields(a, AFFECTED, what + ".affected_components[]"));
        }
        i.get("components").forEach(c -> hasFields(c, COMPONENT, what + ".components[]"));
    }

    @Test
    void everyResource_hasThePage_andEveryObjectItsFields() throws Exception {
        Map<String, JsonNode> all = render();

        assertThat(all.keySet()).containsExactly("summary.json", "status.json", "components.json", "incidents.json",
                "incidents/unresolved.json", "scheduled-maintenances.json", "scheduled-maintenances/upcoming.json",
                "scheduled-maintenances/active.json");
        for (Map.Entry<String, JsonNode> e : all.entrySet()) {
            hasFields(e.getValue().get("page"), PAGE, e.getKey() + " page");
            assertThat(e.getValue().get("page").get("name").asText()).isEqualTo("Acme API");
            assertThat(e.getValue().get("page").get("id").asText()).matches("[0-9a-f]{12}");
            for (JsonNode c : e.getValue().path("components")) {
                hasFields(c, COMPONENT, e.getKey() + " components[]");
            }
            for (JsonNode i : e.getValue().path("incidents")) {
                isIncident(i, e.getKey() + " incidents[]", false);
            }
            for (JsonNode m : e.getValue().path("scheduled_maintenances")) {
                isIncident(m, e.getKey() + " scheduled_maintenances[]", true);
            }
        }
        JsonNode summary = all.get("summary.json");
        assertThat(summary.fieldNames()).toIterable().containsExactly("page", "components", "incidents",
                "scheduled_maintenances", "status");
        assertThat(all.get("status.json").fieldNames()).toIterable().containsExactly("page", "status");
        assertThat(all.get("components.json").fieldNames()).toIterable().containsExactly("page", "components");
    }

    @Test
    void theStatus_isTheWorstOfTheOpenPublishedIncidentsAndComponents() throws Exception {
        Map<String, JsonNode> all = render();

        JsonNode status = all.get("status.json").get("status");
        assertThat(status.get("indicator").asText()).isEqualTo("major");
        assertThat(status.get("description").asText()).isEqualTo("Partial System Outage");
        assertThat(all.get("summary.json").get("status")).isEqualTo(status);
    }

    @Test
    void components_showTheirStatus_fromPublishedIncidentsAndMaintenance_inPageOrder() throws Exception {
        JsonNode components = render().get("components.json").get("components");

        assertThat(components).hasSize(2);
        assertThat(components.get(0).get("id").asText()).isEqualTo("orders");
        assertThat(components.get(0).get("name").asText()).isEqualTo("Orders API");
        assertThat(components.get(0).get("position").asInt()).isEqualTo(1);
        assertThat(components.get(0).get("status").asText()).as("the monitoring incident still gives it")
                .isEqualTo("partial_outage");
        assertThat(components.get(1).get("status").asText()).as("the draft's major outage is not public")
                .isEqualTo("under_maintenance");
    }

    @Test
    void lists_holdWhatTheirNameSays_andNoDraft() throws Exception {
        Map<String, JsonNode> all = render();

        assertThat(ids(all.get("incidents.json").get("incidents"))).containsExactly(active.id(), resolved.id());
        assertThat(ids(all.get("incidents/unresolved.json").get("incidents"))).containsExactly(active.id());
        assertThat(ids(all.get("summary.json").get("incidents"))).containsExactly(active.id());
        assertThat(ids(all.get("scheduled-maintenances.json").get("scheduled_maintenances")))
                .containsExactly(upcoming.id(), inProgress.id());
        assertThat(ids(all.get("scheduled-maintenances/upcoming.json").get("scheduled_maintenances")))
                .containsExactly(upcoming.id());
        assertThat(ids(all.get("scheduled-maintenances/active.json").get("scheduled_maintenances")))
                .containsExactly(inProgress.id());
        assertThat(ids(all.get("summary.json").get("scheduled_maintenances")))
                .containsExactly(inProgress.id(), upcoming.id());
        for (JsonNode doc : all.values()) {
            assertThat(doc.toString()).doesNotContain(draft.id()).doesNotContain("Secret draft");
        }
    }

    @Test
    void anIncident_carriesItsTimeline_newestFirst_withTheComponentsItChanged() throws Exception {
        JsonNode i = render().get("incidents/unresolved.json").get("incidents").get(0);

        assertThat(i.get("status").asText()).isEqualTo("monitoring");
        assertThat(i.get("impact").asText()).isEqualTo("major");
        assertThat(i.get("shortlink").asText()).isEqualTo("/#incident-" + active.id());
        assertThat(i.get("monitoring_at").asText()).isEqualTo("2026-12-02T10:30:00.000Z");
        assertThat(i.get("resolved_at").isNull()).isTrue();
        JsonNode updates = i.get("incident_updates");
        assertThat(updates).hasSize(2);
        assertThat(updates.get(0).get("status").asText()).isEqualTo("monitoring");
        assertThat(updates.get(0).get("affected_components").isNull()).isTrue();
        JsonNode first = updates.get(1);
        assertThat(first.get("body").asText()).isEqualTo("Investigating.");
        assertThat(first.get("affected_components").get(0)).isEqualTo(StatusJson.JSON.readTree("""
                {"code": "orders", "name": "Orders API", "old_status": "operational",
                 "new_status": "partial_outage"}"""));
        assertThat(ids(i.get("components"))).containsExactly("orders");
    }

    @Test
    void aResolvedIncident_hasItsResolvedAt() throws Exception {
        JsonNode i = render().get("incidents.json").get("incidents").get(1);

        assertThat(i.get("status").asText()).isEqualTo("resolved");
        assertThat(i.get("resolved_at").asText()).isEqualTo("2026-12-02T10:20:00.000Z");
    }

    @Test
    void aMaintenance_hasItsWindow_andATimelineFromTheClock() throws Exception {
        JsonNode m = render().get("scheduled-maintenances/active.json").get("scheduled_maintenances").get(0);

        assertThat(m.get("status").asText()).isEqualTo("in_progress");
        assertThat(m.get("scheduled_for").asText()).isEqualTo("2026-12-02T10:30:00.000Z");
        assertThat(m.get("scheduled_until").asText()).isEqualTo("2026-12-02T11:30:00.000Z");
        assertThat(m.get("incident_updates")).extracting(u -> u.get("status").asText())
                .containsExactly("in_progress", "scheduled");
        assertThat(ids(m.get("components"))).containsExactly("collect");
    }

    @Test
    void withNothingOpen_allSystemsAreOperational() throws Exception {
        IncidentBook empty = new IncidentBook(settings.componentIds(), IncidentStore.inMemory(), clock);
        PageView view = PageView.of(settings, empty.view(), UptimeSource.none(), clock.instant(), T0);

        JsonNode status = StatusJson.JSON.readTree(new StatusJson(view).all().get("status.json")).get("status");

        assertThat(status.get("indicator").asText()).isEqualTo("none");
        assertThat(status.get("description").asText()).isEqualTo("All Systems Operational");
        assertThat(view.components()).allSatisfy(c -> assertThat(c.status()).isEqualTo(ComponentStatus.OPERATIONAL));
        assertThat(view.components().getFirst().days()).hasSize(90);
        assertThat(view.components().getFirst().days().getLast().date())
                .isEqualTo(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC));
    }

    @Test
    void onlyMaintenance_showsAsMaintenance() throws Exception {
        IncidentBook b = new IncidentBook(settings.componentIds(), IncidentStore.inMemory(), clock);
        b.schedule(new NewMaintenance("Upgrade", "Short pauses.", clock.instant(),
                clock.instant().plus(Duration.ofHours(1)), List.of("orders")), ANA);
        PageView view = PageView.of(settings, b.view(), UptimeSource.none(), clock.instant(), T0);

        assertThat(view.indicator()).isEqualTo(PageView.Indicator.MAINTENANCE);
        assertThat(view.indicator().description).isEqualTo("Service Under Maintenance");
    }

    private static List<String> ids(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get("id").asText()));
        return out;
    }
}
