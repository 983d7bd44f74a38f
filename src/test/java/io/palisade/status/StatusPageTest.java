package io.palisade.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.palisade.status.StatusPageSettings.IncidentMode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The rendered page follows the book and the clock, rendering on its own thread. */
class StatusPageTest {
    private final MutableClock clock = new MutableClock(StatusJsonTest.T0);
    private final StatusPageSettings settings = AutoIncidentsTest.settings(IncidentMode.PUBLISH);
    private final IncidentBook book = new IncidentBook(settings.componentIds(), IncidentStore.inMemory(), clock);

    private static String status(StatusPage page) {
        return PageSnapshot.text(page.snapshot().get("/api/v2/components.json").orElseThrow());
    }

    @Test
    void aMaintenanceWindow_opensAndCloses_withTheClock_withoutAChangeInTheBook() {
        book.schedule(new NewMaintenance("Upgrade", "Short pauses.", clock.instant().plus(Duration.ofHours(1)),
                clock.instant().plus(Duration.ofHours(2)), List.of("orders")), Actor.person("ana"));
        try (StatusPage page = StatusPage.start(settings, book, UptimeSource.none(), clock, Duration.ofMillis(50))) {
            assertThat(status(page)).doesNotContain("under_maintenance");

            clock.advance(Duration.ofMinutes(61));
            await().atMost(Duration.ofSeconds(30)).until(() -> status(page).contains("under_maintenance"));

            clock.advance(Duration.ofHours(1));
            await().atMost(Duration.ofSeconds(30)).until(() -> !status(page).contains("under_maintenance"));
        }
    }

    @Test
    void renders_runOnThePagesThread() throws Exception {
        AtomicReference<String> thread = new AtomicReference<>();
        UptimeSource recording = (c, d) -> {
            thread.set(Thread.currentThread().getName());
            return OptionalDouble.empty();
        };
        try (StatusPage page = StatusPage.start(settings, book, recording, clock)) {
            assertThat(thread.get()).isEqualTo("palisade-status");
            thread.set(null);
            book.open(new NewIncident("n", "m", IncidentStatus.INVESTIGATING, Optional.empty(),
                    Map.of(), true), Actor.person("ana"));
            page.renderNow().get();
            assertThat(thread.get()).isEqualTo("palisade-status");
        }
    }

    @Test
    void aFirstPageThatCannotBeRendered_failsTheStart() {
        UptimeSource broken = (c, d) -> {
            throw new IllegalStateException("history unavailable");
        };

        assertThatThrownBy(() -> StatusPage.start(settings, book, broken, clock))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("could not be rendered");
    }

    @Test
    void aLaterRenderThatFails_keepsTheLastPage() throws Exception {
        AtomicReference<RuntimeException> fail = new AtomicReference<>();
        UptimeSource flaky = (c, d) -> {
            if (fail.get() != null) {
                throw fail.get();
            }
            return OptionalDouble.empty();
        };
        try (StatusPage page = StatusPage.start(settings, book, flaky, clock)) {
            PageSnapshot first = page.snapshot();
            fail.set(new IllegalStateException("history unavailable"));

            page.renderNow().get();

            assertThat(page.snapshot()).isSameAs(first);
        }
    }
}
