package io.palisade.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.config.Address;
import io.palisade.status.StatusPageSettings.ComponentSettings;
import io.palisade.status.StatusPageSettings.IncidentMode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Page alerts opening, updating, quieting and resolving incidents, on a clock the test moves. */
class AutoIncidentsTest {
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    private static final Duration RESOLVE_AFTER = Duration.ofMinutes(10);

    private final MutableClock clock = new MutableClock(T0);
    private IncidentBook book;
    private AutoIncidents auto;
    private Consumer<PageAlert> feed;

    static StatusPageSettings settings(IncidentMode mode) {
        return new StatusPageSettings(new Address("127.0.0.1", 0), "Acme API", List.of(
                new ComponentSettings("orders", "Orders API", List.of("orders-availability", "orders-latency"),
                        List.of()),
                new ComponentSettings("collect", "Data collection", List.of(), List.of("track"))),
                mode, RESOLVE_AFTER, Optional.empty());
    }

    private void start(IncidentMode mode) {
        StatusPageSettings s = settings(mode);
        book = new IncidentBook(s.componentIds(), IncidentStore.inMemory(), clock);
        auto = new AutoIncidents(s, book, clock);
        auto.attach(subscriber -> feed = subscriber);
    }

    /** The availability SLO of orders (99.9%) burning at {@code burn}: 14.4 is 1.44% of requests failing. */
    private static PageAlert ordersErrors(double burn) {
        return PageAlert.firing("slo_page:orders-availability", Set.of("orders-availability"), Set.of("orders"),
                burn, 0.999, PageAlert.Signal.ERRORS, T0);
    }

    private static PageAlert trackErrors(double burn) {
        return PageAlert.firing("slo_page:track-availability", Set.of("track-availability"), Set.of("track"),
                burn, 0.99, PageAlert.Signal.ERRORS, T0);
    }

    private Incident only() {
        assertThat(book.incidents()).hasSize(1);
        return book.incidents().getFirst();
    }

    private void quiet(Duration d) {
        clock.advance(d);
        auto.tick();
    }

    @Test
    void aPageAlert_opensAnIncident_byItself() {
        start(IncidentMode.PUBLISH);

        feed.accept(ordersErrors(14.4));

        Incident i = only();
        assertThat(i.status()).isEqualTo(IncidentStatus.INVESTIGATING);
        assertThat(i.isPublished()).isTrue();
        assertThat(i.isAutomatic()).isTrue();
        assertThat(i.openedBy()).isEqualTo(Actor.palisade());
        assertThat(i.name()).isEqualTo("Elevated error rates on Orders API");
        assertThat(i.impact()).isEqualTo(Impact.MINOR);
        assertThat(i.components()).containsExactly(Map.entry("orders", ComponentStatus.DEGRADED_PERFORMANCE));
        assertThat(i.latestUpdate().body()).isEqualTo("We are investigating elevated error rates on Orders API."
                + " Orders API: degraded performance, about 1.4% of requests are failing.");
        assertThat(auto.currentIncident()).contains(i.id());
    }

    @Test
    void theImpact_followsTheShareOfFailingRequests() {
        start(IncidentMode.PUBLISH);

        feed.accept(ordersErrors(100)); // 10% failing
        assertThat(only().components()).containsEntry("orders", ComponentStatus.PARTIAL_OUTAGE);
        assertThat(only().impact()).isEqualTo(Impact.MAJOR);

        feed.accept(ordersErrors(1000)); // everything failing
        Incident i = only();
        assertThat(i.components()).containsEntry("orders", ComponentStatus.MAJOR_OUTAGE);
        assertThat(i.impact()).isEqualTo(Impact.CRITICAL);
        assertThat(i.updates()).hasSize(2);
        assertThat(i.latestUpdate().body()).isEqualTo("Orders API: major outage, about 100% of requests are"
                + " failing.");
        assertThat(i.latestUpdate().affectedComponents()).containsExactly(new ComponentChange("orders",
                ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.MAJOR_OUTAGE));

        feed.accept(ordersErrors(100));
        assertThat(only().components()).containsEntry("orders", ComponentStatus.PARTIAL_OUTAGE);
        assertThat(only().impact()).as("never lower while open").isEqualTo(Impact.CRITICAL);
    }

    @Test
    void theSameTroubleWithOtherFigures_isNoNews() {
        start(IncidentMode.PUBLISH);
        feed.accept(ordersErrors(100));

        feed.accept(ordersErrors(120));
        feed.accept(ordersErrors(90));

        assertThat(only().updates()).hasSize(1);
    }

    @Test
    void aSlowLatencySlo_degradesTheComponent_neverTakesItDown() {
        start(IncidentMode.PUBLISH);

        feed.accept(PageAlert.firing("slo_page:orders-latency", Set.of("orders-latency"), Set.of("orders"), 99,
                0.99, PageAlert.Signal.LATENCY, T0));

        Incident i = only();
        assertThat(i.name()).isEqualTo("Slow responses on Orders API");
        assertThat(i.components()).containsEntry("orders", ComponentStatus.DEGRADED_PERFORMANCE);
        assertThat(i.impact()).isEqualTo(Impact.MAJOR);
        assertThat(i.latestUpdate().body()).endsWith("about 99% of requests are slower than their objective.");
    }

    @Test
    void anAlertOnAnotherComponent_joinsTheOpenIncident() {
        start(IncidentMode.PUBLISH);
        feed.accept(ordersErrors(14.4));

        feed.accept(trackErrors(20)); // 20% failing

        Incident i = only();
        assertThat(i.name()).isEqualTo("Elevated error rates on Orders API and Data collection");
        assertThat(i.components()).containsExactly(Map.entry("orders", ComponentStatus.DEGRADED_PERFORMANCE),
                Map.entry("collect", ComponentStatus.PARTIAL_OUTAGE));
        assertThat(i.impact()).isEqualTo(Impact.MAJOR);
        assertThat(i.latestUpdate().body()).isEqualTo("Data collection: partial outage, about 20% of requests are"
                + " failing.");
    }

    @Test
    void anAlertAboutNothingOnThePage_opensNothing() {
        start(IncidentMode.PUBLISH);

        feed.accept(PageAlert.firing("slo_page:internal", Set.of("internal"), Set.of("admin-tools"), 50, 0.999,
                PageAlert.Signal.ERRORS, T0));

        assertThat(book.incidents()).isEmpty();
    }

    @Test
    void theEndOfTheBurn_movesToMonitoring_andQuietResolves() {
        start(IncidentMode.PUBLISH);
        feed.accept(ordersErrors(100));
        clock.advance(Duration.ofMinutes(3));

        feed.accept(ordersErrors(100).cleared(clock.instant()));

        Incident monitoring = only();
        assertThat(monitoring.status()).isEqualTo(IncidentStatus.MONITORING);
        assertThat(monitoring.monitoringAt()).contains(T0.plus(Duration.ofMinutes(3)));
        assertThat(monitoring.components()).containsEntry("orders", ComponentStatus.OPERATIONAL);
        assertThat(monitoring.latestUpdate().body()).isEqualTo("Requests to Orders API are back within their"
                + " objectives. We are monitoring.");

        quiet(RESOLVE_AFTER.minusSeconds(1));
        assertThat(only().status()).isEqualTo(IncidentStatus.MONITORING);

        quiet(Duration.ofSeconds(1));
        Incident resolved = only();
        assertThat(resolved.status()).isEqualTo(IncidentStatus.RESOLVED);
        assertThat(resolved.resolvedAt()).contains(T0.plus(Duration.ofMinutes(13)));
        assertThat(resolved.latestUpdate().actor()).isEqualTo(Actor.palisade());
        assertThat(resolved.latestUpdate().body()).isEqualTo("Everything has worked within its objectives for 10m:"
                + " this incident is resolved.");
        assertThat(auto.currentIncident()).isEmpty();

        quiet(RESOLVE_AFTER);
        assertThat(only().updates()).hasSize(3);
    }

    @Test
    void flapping_withinTheQuiet_continuesTheSameIncident() {
        start(IncidentMode.PUBLISH);
        for (int flap = 0; flap < 5; flap++) {
            feed.accept(ordersErrors(100));
            clock.advance(Duration.ofMinutes(1));
            feed.accept(ordersErrors(100).cleared(clock.instant()));
            quiet(RESOLVE_AFTER.minusMinutes(1));
        }

        Incident i = only();
        assertThat(i.status()).isEqualTo(IncidentStatus.MONITORING);
        assertThat(i.updates()).extracting(IncidentUpdate::status).containsExactly(
                IncidentStatus.INVESTIGATING, IncidentStatus.MONITORING,
                IncidentStatus.INVESTIGATING, IncidentStatus.MONITORING,
                IncidentStatus.INVESTIGATING, IncidentStatus.MONITORING,
                IncidentStatus.INVESTIGATING, IncidentStatus.MONITORING,
                IncidentStatus.INVESTIGATING, IncidentStatus.MONITORING);
        assertThat(i.updates().get(2).body()).startsWith("The problem is back. Orders API: partial outage");

        quiet(Duration.ofMinutes(1));
        assertThat(only().status()).isEqualTo(IncidentStatus.RESOLVED);

        feed.accept(ordersErrors(100));
        assertThat(book.incidents()).as("after the resolution, a new fault is a new incident").hasSize(2);
        assertThat(book.incidents().getFirst().status()).isEqualTo(IncidentStatus.INVESTIGATING);
    }

    @Test
    void draftMode_opensDrafts_thatAnOperatorPublishes() {
        start(IncidentMode.DRAFT);

        feed.accept(ordersErrors(100));
        Incident draft = only();
        assertThat(draft.isPublished()).isFalse();

        feed.accept(ordersErrors(1000));
        assertThat(only().updates()).as("a draft follows the alerts too").hasSize(2);
        Incident published = book.publish(draft.id(), Actor.person("ana"));
        assertThat(published.isPublished()).isTrue();
        assertThat(published.publishedBy()).contains(Actor.person("ana"));

        feed.accept(ordersErrors(1000).cleared(clock.instant()));
        quiet(RESOLVE_AFTER);
        assertThat(only().status()).isEqualTo(IncidentStatus.RESOLVED);
        assertThat(only().isPublished()).isTrue();
    }

    @Test
    void offMode_opensNothing() {
        start(IncidentMode.OFF);

        feed.accept(ordersErrors(1000));
        quiet(RESOLVE_AFTER);

        assertThat(book.incidents()).isEmpty();
    }

    @Test
    void anOperatorWhoResolves_endsTheEpisode_untilAnAlertStartsFiringAgain() {
        start(IncidentMode.PUBLISH);
        feed.accept(ordersErrors(100));
        Incident first = only();
        book.resolve(first.id(), "Known issue; fixed by hand.", Actor.person("ana"));

        feed.accept(ordersErrors(120));
        assertThat(book.incidents()).as("the alert that still fires opens nothing new").hasSize(1);
        assertThat(auto.currentIncident()).isEmpty();

        feed.accept(ordersErrors(120).cleared(clock.instant()));
        feed.accept(ordersErrors(100));
        assertThat(book.incidents()).hasSize(2);
    }

    @Test
    void operatorUpdates_inBetween_doNotStopTheAutomaticSteps() {
        start(IncidentMode.PUBLISH);
        feed.accept(ordersErrors(100));
        Incident i = only();
        book.update(i.id(), IncidentEdit.status(IncidentStatus.IDENTIFIED, "A bad deploy; rolling back."),
                Actor.person("ana"));

        feed.accept(ordersErrors(100).cleared(clock.instant()));
        quiet(RESOLVE_AFTER);

        assertThat(only().updates()).extracting(IncidentUpdate::status).containsExactly(
                IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING,
                IncidentStatus.RESOLVED);
        assertThat(only().updates()).extracting(u -> u.actor().name()).containsExactly("palisade", "ana",
                "palisade", "palisade");
    }

    @Test
    void afterARestart_theOpenAutomaticIncident_isContinuedOrResolved() {
        start(IncidentMode.PUBLISH);
        feed.accept(ordersErrors(100));
        Incident i = only();

        AutoIncidents restarted = new AutoIncidents(settings(IncidentMode.PUBLISH), book, clock);
        assertThat(restarted.currentIncident()).contains(i.id());
        restarted.onAlert(ordersErrors(1000));
        assertThat(book.incidents()).hasSize(1);
        assertThat(only().components()).containsEntry("orders", ComponentStatus.MAJOR_OUTAGE);

        AutoIncidents again = new AutoIncidents(settings(IncidentMode.PUBLISH), book, clock);
        clock.advance(RESOLVE_AFTER);
        again.tick();
        assertThat(only().status()).isEqualTo(IncidentStatus.RESOLVED);
    }

    @Test
    void percentages_readWell() {
        assertThat(AutoIncidents.percent(0.004)).isEqualTo("less than 1%");
        assertThat(AutoIncidents.percent(0.0144)).isEqualTo("1.4%");
        assertThat(AutoIncidents.percent(0.25)).isEqualTo("25%");
        assertThat(AutoIncidents.percent(1)).isEqualTo("100%");
    }
}
