package io.palisade.alert;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.error.ErrorKind;
import io.palisade.outcome.Outcome;
import io.palisade.outcome.OutcomeSubscriber;
import io.palisade.slo.Outcomes;
import io.palisade.testing.FakeTicker;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code http_4xx_spike} and {@code auth_unavailable} from outcomes: a baseline then a spike fires; a steady high share
 * does not; a long spike stays firing on its frozen baseline; traffic per route and per consumer.
 */
class SpikeAlertTest {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    /** Evaluations every 5 s, 20 requests each: 240 a minute. */
    static final Duration STEP = Duration.ofSeconds(5);

    private final FakeTicker ticker = new FakeTicker();
    private final AlertEngine alerts = AlertEngine.builder(ticker.clock(T0)).build();
    private final OutcomeSubscriber traffic = alerts.traffic();
    private final Drive drive = new Drive(ticker, alerts, null);

    private Instant now() {
        return T0.plusNanos(ticker.read());
    }

    private void send(String consumer, int status, int count) {
        for (int i = 0; i < count; i++) {
            traffic.onOutcome(Outcomes.of("orders", consumer, status, Outcome.Ending.ANSWERED, Optional.empty(),
                    Outcomes.MS));
        }
    }

    /** {@code minutes} of traffic: per step 19 good and one 404 (5% baseline) from acme and anonymous callers. */
    private void normal(int minutes) {
        drive.run(minutes * 12, STEP, i -> {
            send("acme", 200, 10);
            send("", 200, 9);
            send("", 404, 1);
        });
    }

    private List<Alert> spikes() {
        return drive.raised(SpikeRule.NAME);
    }

    @Test
    void aBurstOfBadCredentials_raisesTheRouteAlert_withItsEvidence() {
        normal(10);
        assertThat(spikes()).isEmpty();

        Instant burst = now();
        drive.run(12, STEP, i -> { // seed 000: a credential-stuffing burst, every attempt 401
            send("acme", 200, 10);
            send("", 200, 9);
            send("", 401, 30);
        });
        assertThat(spikes()).hasSize(1);
        Alert spike = spikes().get(0);
        assertThat(spike.labels()).isEqualTo(Map.of("route", "orders"));
        assertThat(spike.severity()).isEqualTo(Severity.TICKET);
        assertThat(Duration.between(burst, spike.since())).isLessThanOrEqualTo(Duration.ofSeconds(15));
        assertThat(spike.summary()).startsWith("4xx share on route orders is ").contains("baseline 5.");
        assertThat(spike.evidence()).containsEntry("class", "4xx").containsKeys("requests_1m", "4xx_1m",
                "share_4xx_1m", "baseline_share_4xx", "baseline_requests_30m");
        assertThat((Double) spike.evidence().get("baseline_share_4xx")).isBetween(0.04, 0.06);

        normal(1);
        assertThat(alerts.active()).as("the clear needs 2 minutes below the line").isNotEmpty();
        normal(3);
        assertThat(drive.resolved(SpikeRule.NAME)).hasSize(1);
        assertThat(alerts.active()).isEmpty();
    }

    @Test
    void aConsumerSuddenlyForbidden_raisesTheConsumerAlert_andStaysFiringForDays() {
        normal(10);
        drive.run(12 * 60, STEP, i -> { // Xandr: one tenant's calls all 403, for an hour (and on)
            send("acme", 403, 10);
            send("", 200, 9);
            send("", 404, 1);
        });
        Alert consumer = spikes().stream().filter(a -> a.labels().equals(Map.of("consumer", "acme"))).findFirst()
                .orElseThrow();
        assertThat(consumer.evidence()).containsEntry("class", "403");
        assertThat(consumer.summary()).startsWith("403 share on consumer acme is ").contains("baseline 0.");
        // An hour on, the 30-minute baseline is all 403s, but the alert judges against the one frozen when it fired.
        assertThat(alerts.active()).extracting(Alert::labels).contains(Map.of("consumer", "acme"),
                Map.of("route", "orders"));
        assertThat(alerts.active().stream().filter(a -> a.labels().equals(Map.of("consumer", "acme"))).findFirst()
                .orElseThrow()).satisfies(a -> {
                    assertThat(a.evidence()).containsEntry("baseline_frozen", true);
                    assertThat(a.summary()).startsWith("403 share on consumer acme is 100.0% over the last minute");
                });
        assertThat(drive.resolved(SpikeRule.NAME)).isEmpty();
        assertThat(spikes()).hasSize(2);
    }

    @Test
    void aSteadyHighShare_isItsOwnBaseline_andNeverFires() {
        drive.run(12 * 40, STEP, i -> { // 60% 401s, from the start and for 40 minutes
            send("", 200, 8);
            send("", 401, 12);
        });
        assertThat(drive.changes).isEmpty();
    }

    @Test
    void aFewStray4xx_onAQuietRoute_areNotASpike() {
        normal(10);
        drive.run(12, STEP, i -> {
            send("", 200, 19);
            if (i % 2 == 0) {
                send("", 404, 1); // 6 in the minute: under the minimum of 10
            }
        });
        assertThat(drive.changes).isEmpty();
        // Many 4xx, but only twice the baseline share and 5 points above it: not far above.
        drive.run(12, STEP, i -> {
            send("", 200, 18);
            send("", 404, 2);
        });
        assertThat(drive.changes).isEmpty();
    }

    @Test
    void nothingFires_beforeThereIsABaseline() {
        drive.run(12, STEP, i -> send("", 401, 20));
        assertThat(drive.changes).isEmpty();
    }

    @Test
    void aFiringSpike_resolvesWithoutSignal_whenTheTrafficStops() {
        normal(10);
        drive.run(12, STEP, i -> send("", 401, 30));
        assertThat(spikes()).isNotEmpty();
        drive.run(12 * 12, STEP, i -> { });
        assertThat(drive.resolved(SpikeRule.NAME)).singleElement().satisfies(a ->
                assertThat(a.summary()).startsWith("no signal for 10m: too few requests on route orders"));
    }

    @Test
    void authUnavailable_pagesPerRoute_andResolvesAfterAQuietMinute() {
        normal(3);
        drive.run(6, STEP, i -> {
            for (int k = 0; k < 3; k++) {
                traffic.onOutcome(Outcomes.error("orders", ErrorKind.AUTH_UNAVAILABLE));
            }
        });
        Alert auth = drive.raised(AuthRule.NAME).get(0);
        assertThat(auth.severity()).isEqualTo(Severity.PAGE);
        assertThat(auth.labels()).isEqualTo(Map.of("route", "orders"));
        assertThat(auth.summary()).contains("answered 503 auth_unavailable").contains("its auth dependency");
        assertThat(auth.evidence()).containsKeys("auth_unavailable_1m", "requests_1m", "share_1m");
        normal(1);
        assertThat(drive.resolved(AuthRule.NAME)).hasSize(1);
        assertThat(drive.raised(AuthRule.NAME)).hasSize(1);
    }

    @Test
    void outcomesWithoutAnAnswer_countNowhere() {
        normal(10);
        drive.run(12, STEP, i -> {
            for (int k = 0; k < 40; k++) {
                traffic.onOutcome(Outcomes.of("orders", "", 0, Outcome.Ending.CLIENT_GONE, Optional.empty(), 1));
            }
        });
        assertThat(drive.changes).isEmpty();
    }
}
