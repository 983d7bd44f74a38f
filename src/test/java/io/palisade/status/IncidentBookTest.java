package io.palisade.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.palisade.status.BookEvent.IncidentEvent;
import io.palisade.status.BookEvent.MaintenanceEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Operator changes to incidents and maintenances: checked, stored, applied and told, in that order. */
class IncidentBookTest {
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    private static final Actor ANA = Actor.person("ana");

    private final MutableClock clock = new MutableClock(T0);
    private final IncidentStore store = IncidentStore.inMemory();
    private final IncidentBook book = new IncidentBook(List.of("orders", "collect"), store, clock);
    private final List<BookEvent> events = new ArrayList<>();

    IncidentBookTest() {
        book.addListener(events::add);
    }

    private Incident openOrders(boolean publish) {
        return book.open(new NewIncident("Checkout errors", "We are looking into failed orders.",
                IncidentStatus.INVESTIGATING, Optional.empty(), Map.of("orders", ComponentStatus.PARTIAL_OUTAGE),
                publish), ANA);
    }

    @Test
    void open_recordsTheFirstUpdate_theComponents_andAnImpactFromThem() {
        Incident i = openOrders(true);

        assertThat(i.id()).matches("[a-z0-9]{12}");
        assertThat(i.status()).isEqualTo(IncidentStatus.INVESTIGATING);
        assertThat(i.impact()).isEqualTo(Impact.MAJOR);
        assertThat(i.components()).containsExactly(Map.entry("orders", ComponentStatus.PARTIAL_OUTAGE));
        assertThat(i.createdAt()).isEqualTo(T0);
        assertThat(i.startedAt()).isEqualTo(T0);
        assertThat(i.publishedAt()).contains(T0);
        assertThat(i.openedBy()).isEqualTo(ANA);
        assertThat(i.isAutomatic()).isFalse();
        assertThat(i.updates()).singleElement().satisfies(u -> {
            assertThat(u.status()).isEqualTo(IncidentStatus.INVESTIGATING);
            assertThat(u.body()).isEqualTo("We are looking into failed orders.");
            assertThat(u.actor()).isEqualTo(ANA);
            assertThat(u.affectedComponents()).containsExactly(new ComponentChange("orders",
                    ComponentStatus.OPERATIONAL, ComponentStatus.PARTIAL_OUTAGE));
        });
        assertThat(store.incidents()).containsExactly(i);
        assertThat(events).singleElement().isEqualTo(new IncidentEvent(IncidentEvent.Kind.OPENED, Optional.empty(),
                i, ANA, T0));
    }

    @Test
    void updates_followTheStateMachine_andEachIsAnEntryOfTheTimeline() {
        Incident i = openOrders(true);
        clock.advance(Duration.ofMinutes(5));
        book.update(i.id(), IncidentEdit.status(IncidentStatus.IDENTIFIED, "A bad deploy."), ANA);
        clock.advance(Duration.ofMinutes(5));
        book.update(i.id(), IncidentEdit.status(IncidentStatus.MONITORING, "Rolled back.")
                .withComponents(Map.of("orders", ComponentStatus.OPERATIONAL)), ANA);
        clock.advance(Duration.ofMinutes(5));
        book.update(i.id(), IncidentEdit.message("Still watching."), ANA);
        clock.advance(Duration.ofMinutes(5));
        Incident resolved = book.resolve(i.id(), "", Actor.person("bo"));

        assertThat(resolved.updates()).extracting(IncidentUpdate::status).containsExactly(
                IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING,
                IncidentStatus.MONITORING, IncidentStatus.RESOLVED);
        assertThat(resolved.updates().getLast().body()).isEqualTo("This incident has been resolved.");
        assertThat(resolved.updates().getLast().actor()).isEqualTo(Actor.person("bo"));
        assertThat(resolved.monitoringAt()).contains(T0.plus(Duration.ofMinutes(10)));
        assertThat(resolved.resolvedAt()).contains(T0.plus(Duration.ofMinutes(20)));
        assertThat(resolved.updatedAt()).isEqualTo(T0.plus(Duration.ofMinutes(20)));
        assertThat(resolved.impact()).as("the worst it was").isEqualTo(Impact.MAJOR);
        assertThat(resolved.components()).containsExactly(Map.entry("orders", ComponentStatus.OPERATIONAL));
        assertThat(events).extracting(e -> ((IncidentEvent) e).kind()).containsExactly(IncidentEvent.Kind.OPENED,
                IncidentEvent.Kind.UPDATED, IncidentEvent.Kind.UPDATED, IncidentEvent.Kind.UPDATED,
                IncidentEvent.Kind.RESOLVED);
        assertThat(store.incidents()).containsExactly(resolved);
    }

    @Test
    void resolvingSetsTheComponentsBackToOperational_inTheResolvingUpdate() {
        Incident i = openOrders(true);
        Incident resolved = book.resolve(i.id(), "Fixed.", ANA);

        assertThat(resolved.latestUpdate().affectedComponents()).containsExactly(new ComponentChange("orders",
                ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.OPERATIONAL));
    }

    @Test
    void anIllegalTransition_throws_andChangesNothing() {
        Incident i = openOrders(true);
        Incident resolved = book.resolve(i.id(), "Fixed.", ANA);
        events.clear();

        assertThatThrownBy(() -> book.update(i.id(), IncidentEdit.status(IncidentStatus.INVESTIGATING, "Again?"),
                ANA)).isInstanceOf(IllegalTransitionException.class)
                .hasMessage("incident " + i.id() + " is resolved: it cannot move to investigating (allowed:"
                        + " postmortem)");
        assertThatThrownBy(() -> book.update(i.id(), IncidentEdit.message("A note"), ANA))
                .isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> book.resolve(i.id(), "Twice", ANA)).isInstanceOf(IllegalTransitionException.class);

        assertThat(book.incident(i.id())).contains(resolved);
        assertThat(store.incidents()).containsExactly(resolved);
        assertThat(events).isEmpty();
    }

    @Test
    void aPostmortem_needsAResolvedIncident_andMayBeReplaced() {
        Incident i = openOrders(true);
        assertThatThrownBy(() -> book.postmortem(i.id(), "Too early", ANA))
                .isInstanceOf(IllegalTransitionException.class)
                .satisfies(e -> assertThat(((IllegalTransitionException) e).from())
                        .isEqualTo(IncidentStatus.INVESTIGATING));
        book.resolve(i.id(), "Fixed.", ANA);

        Incident pm = book.postmortem(i.id(), "What happened: a deploy.", Actor.person("cy"));
        Incident pm2 = book.postmortem(i.id(), "What happened: a bad deploy.", ANA);

        assertThat(pm.status()).isEqualTo(IncidentStatus.POSTMORTEM);
        assertThat(pm.postmortemBy()).contains(Actor.person("cy"));
        assertThat(pm2.postmortem()).contains("What happened: a bad deploy.");
        assertThatThrownBy(() -> book.update(i.id(), IncidentEdit.status(IncidentStatus.MONITORING, "no"), ANA))
                .isInstanceOf(IllegalTransitionException.class);
    }

    @Test
    void aDraft_isPublishedOnce_byWhoeverPublishesIt() {
        Incident draft = openOrders(false);
        assertThat(draft.isPublished()).isFalse();
        clock.advance(Duration.ofMinutes(1));

        Incident published = book.publish(draft.id(), Actor.person("bo"));
        Incident again = book.publish(draft.id(), ANA);

        assertThat(published.publishedAt()).contains(T0.plus(Duration.ofMinutes(1)));
        assertThat(published.publishedBy()).contains(Actor.person("bo"));
        assertThat(again).isEqualTo(published);
        assertThat(events).extracting(e -> ((IncidentEvent) e).kind()).containsExactly(IncidentEvent.Kind.OPENED,
                IncidentEvent.Kind.PUBLISHED);
    }

    @Test
    void badInput_isRefusedWithAClearMessage() {
        assertThatThrownBy(() -> book.open(new NewIncident(" ", "m", IncidentStatus.INVESTIGATING, Optional.empty(),
                Map.of(), true), ANA)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name is empty (expected: some text)");
        assertThatThrownBy(() -> book.open(new NewIncident("n", "m".repeat(IncidentBook.MAX_MESSAGE + 1),
                IncidentStatus.INVESTIGATING, Optional.empty(), Map.of(), true), ANA))
                .hasMessage("message has 10001 characters (expected: at most 10000)");
        assertThatThrownBy(() -> book.open(new NewIncident("n", "m", IncidentStatus.INVESTIGATING, Optional.empty(),
                Map.of("billing", ComponentStatus.MAJOR_OUTAGE), true), ANA))
                .hasMessage("unknown component billing (expected one of: orders, collect)");
        assertThatThrownBy(() -> book.open(new NewIncident("n", "m", IncidentStatus.RESOLVED, Optional.empty(),
                Map.of(), true), ANA))
                .hasMessage("an incident opens as one of investigating, identified, monitoring, not resolved");
        assertThatThrownBy(() -> book.update("nope", IncidentEdit.message("m"), ANA))
                .isInstanceOf(NoSuchElementException.class).hasMessage("no incident nope");
        assertThat(events).isEmpty();
        assertThat(store.incidents()).isEmpty();
    }

    @Test
    void aStoreThatFails_refusesTheChange() {
        IncidentStore failing = new IncidentStore() {
            @Override
            public List<Incident> incidents() {
                return List.of();
            }

            @Override
            public List<Maintenance> maintenances() {
                return List.of();
            }

            @Override
            public void save(Incident incident) {
                throw new IllegalStateException("disk full");
            }

            @Override
            public void save(Maintenance maintenance) {
                throw new IllegalStateException("disk full");
            }
        };
        IncidentBook b = new IncidentBook(List.of("orders"), failing, clock);
        List<BookEvent> told = new ArrayList<>();
        b.addListener(told::add);

        assertThatThrownBy(() -> b.open(new NewIncident("n", "m", IncidentStatus.INVESTIGATING, Optional.empty(),
                Map.of(), true), ANA)).hasMessage("disk full");
        assertThat(b.incidents()).isEmpty();
        assertThat(told).isEmpty();
    }

    @Test
    void aNewBook_loadsWhatTheStoreKept() {
        Incident i = openOrders(true);
        Maintenance m = book.schedule(new NewMaintenance("Database upgrade", "Short pauses.", T0.plusSeconds(3600),
                T0.plusSeconds(7200), List.of("orders")), ANA);

        IncidentBook reopened = new IncidentBook(List.of("orders", "collect"), store, clock);

        assertThat(reopened.incidents()).containsExactly(i);
        assertThat(reopened.maintenances()).containsExactly(m);
    }

    @Test
    void aListenerThatThrows_doesNotUndoTheChange_norSilenceTheOthers() {
        List<BookEvent> second = new ArrayList<>();
        IncidentBook b = new IncidentBook(List.of("orders"), IncidentStore.inMemory(), clock);
        b.addListener(e -> {
            throw new IllegalStateException("boom");
        });
        b.addListener(second::add);

        Incident i = b.open(new NewIncident("n", "m", IncidentStatus.INVESTIGATING, Optional.empty(), Map.of(), true),
                ANA);

        assertThat(b.incident(i.id())).contains(i);
        assertThat(second).hasSize(1);
    }

    @Test
    void maintenances_followTheClock_andMayEndEarly() {
        Maintenance m = book.schedule(new NewMaintenance("Database upgrade", "Short pauses.", T0.plusSeconds(3600),
                T0.plusSeconds(7200), List.of("orders", "orders")), ANA);

        assertThat(m.components()).containsExactly("orders");
        assertThat(m.status(T0)).isEqualTo(Maintenance.Status.SCHEDULED);
        assertThat(m.status(T0.plusSeconds(3600))).isEqualTo(Maintenance.Status.IN_PROGRESS);
        assertThat(m.status(T0.plusSeconds(7200))).isEqualTo(Maintenance.Status.COMPLETED);
        clock.advance(Duration.ofMinutes(70));
        Maintenance done = book.completeMaintenance(m.id(), Actor.person("bo"));
        assertThat(done.status(clock.instant())).isEqualTo(Maintenance.Status.COMPLETED);
        assertThat(done.endsAt()).isEqualTo(T0.plus(Duration.ofMinutes(70)));
        assertThat(book.completeMaintenance(m.id(), ANA)).isEqualTo(done);
        assertThat(events).extracting(e -> ((MaintenanceEvent) e).kind())
                .containsExactly(MaintenanceEvent.Kind.SCHEDULED, MaintenanceEvent.Kind.COMPLETED);

        assertThatThrownBy(() -> book.schedule(new NewMaintenance("x", "y", T0, T0.minusSeconds(1),
                List.of("orders")), ANA)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> book.schedule(new NewMaintenance("x", "y", T0.minusSeconds(60), T0,
                List.of("orders")), ANA)).hasMessageContaining("(expected: in the future)");
        assertThatThrownBy(() -> book.schedule(new NewMaintenance("x", "y", T0.plusSeconds(60),
                T0.plusSeconds(120), List.of()), ANA)).hasMessageContaining("at least one component");
    }
}
