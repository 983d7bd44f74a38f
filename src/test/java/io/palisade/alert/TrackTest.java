package io.palisade.alert;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The hysteresis every alert goes through: raise after a sustained condition, resolve after a sustained clear. */
class TrackTest {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    private final Track track = new Track("k", (now, firing) -> java.util.List.of());

    private static Observation obs(Check check, String summary) {
        return new Observation("x", Map.of("route", "r"), Severity.TICKET, check, summary, Map.of("n", 1L),
                Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(5));
    }

    private Track.Change at(long second, Check check) {
        return track.step(obs(check, check + " at " + second), T0.plusSeconds(second));
    }

    @Test
    void raises_onlyAfterTheConditionHeldForRaiseAfter() {
        assertThat(at(0, Check.TRUE)).isNull();
        assertThat(at(5, Check.TRUE)).isNull();
        assertThat(at(6, Check.FALSE)).as("a break starts the wait over").isNull();
        assertThat(at(7, Check.TRUE)).isNull();
        assertThat(at(16, Check.TRUE)).isNull();
        Track.Change raised = at(17, Check.TRUE);
        assertThat(raised.before()).isNull();
        assertThat(raised.after()).isEqualTo(new Alert("x", Map.of("route", "r"), Severity.TICKET,
                Alert.State.FIRING, T0.plusSeconds(17), Optional.empty(), "TRUE at 17", Map.of("n", 1L)));
        assertThat(track.firing).isEqualTo(raised.after());
    }

    @Test
    void resolves_onlyAfterTheConditionWasFalseForClearAfter_soItDoesNotFlap() {
        at(0, Check.TRUE);
        assertThat(at(10, Check.TRUE)).isNotNull();
        // Flapping around the threshold: false, true, false... never 30 s false in a row.
        for (int s = 11; s < 200; s += 20) {
            assertThat(at(s, Check.FALSE)).isNull();
            assertThat(at(s + 10, Check.TRUE)).as("updates are told at most once a minute").satisfiesAnyOf(
                    c -> assertThat(c).isNull(), c -> assertThat(c.after().firing()).isTrue());
        }
        assertThat(track.firing.since()).isEqualTo(T0.plusSeconds(10));
        assertThat(at(300, Check.FALSE)).isNull();
        assertThat(at(320, Check.HOLD)).as("within the band: stays, and the clear wait starts over")
                .satisfies(c -> assertThat(c == null || c.after().firing()).isTrue());
        assertThat(at(321, Check.FALSE)).isNull();
        assertThat(at(350, Check.FALSE)).isNull();
        Track.Change resolved = at(351, Check.FALSE);
        assertThat(resolved.before().firing()).isTrue();
        assertThat(resolved.after().state()).isEqualTo(Alert.State.RESOLVED);
        assertThat(resolved.after().until()).contains(T0.plusSeconds(351));
        assertThat(resolved.after().since()).isEqualTo(T0.plusSeconds(10));
        assertThat(resolved.after().summary()).isEqualTo("FALSE at 351");
        assertThat(track.firing).isNull();
        assertThat(track.idle()).isTrue();
    }

    @Test
    void noSignal_neitherRaisesNorResolves_untilStaleAfter() {
        assertThat(at(0, Check.NO_SIGNAL)).isNull();
        assertThat(at(100, Check.NO_SIGNAL)).isNull();
        assertThat(track.firing).isNull();
        at(200, Check.TRUE);
        assertThat(at(210, Check.TRUE)).isNotNull();
        assertThat(at(211, Check.NO_SIGNAL)).isNull();
        assertThat(at(500, Check.NO_SIGNAL)).isNull();
        assertThat(at(510, Check.FALSE)).as("false for 30 s is needed, however long there was no signal").isNull();
        assertThat(at(512, Check.NO_SIGNAL)).isNull();
        Track.Change stale = at(512 + 300, Check.NO_SIGNAL);
        assertThat(stale.after().firing()).isFalse();
        assertThat(stale.after().summary()).startsWith("no signal for 5m: ");
    }

    @Test
    void updates_areToldAtMostOnceAMinute_andOnlyWhenTheSummaryChanged() {
        at(0, Check.TRUE);
        at(10, Check.TRUE);
        Observation same = obs(Check.TRUE, "same");
        assertThat(track.step(same, T0.plusSeconds(30))).isNull();
        Track.Change update = track.step(same, T0.plusSeconds(70));
        assertThat(update.before().summary()).isEqualTo("TRUE at 10");
        assertThat(update.after().summary()).isEqualTo("same");
        assertThat(update.after().since()).isEqualTo(T0.plusSeconds(10));
        assertThat(track.step(same, T0.plusSeconds(200))).as("unchanged").isNull();
        assertThat(track.firing.summary()).isEqualTo("same");
    }
}
