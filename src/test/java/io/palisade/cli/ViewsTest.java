package io.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.RecordingReleaseApi;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pieces of the admin commands' output that depend on numbers and time, on a fixed clock. */
class ViewsTest {
    private static final Instant STEP_START = Instant.parse("2026-12-02T15:30:00Z");

    @ParameterizedTest
    @CsvSource({"0, 30, 30s of 30s", "12, 30, 18s of 30s", "29.5, 30, 1s of 30s", "45, 30, 0s of 30s",
        "0, 600, 10m00s of 10m00s", "65, 300, 3m55s of 5m00s"})
    void stepLeft_countsDownFromTheStepsStart_byTheClock(double secondsIn, int stepSeconds, String expected) {
        Clock clock = Clock.fixed(STEP_START.plusMillis(Math.round(secondsIn * 1000)), ZoneOffset.UTC);
        var rollout = RecordingReleaseApi.parse("{\"step_started_at\": \"" + STEP_START
                + "\", \"step_duration_seconds\": " + stepSeconds + "}");

        assertThat(Views.stepLeft(rollout, clock)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"0.01, 1%", "0.1, 10%", "0.5, 50%", "1.0, 100%", "0.005, 0.5%", "\"x\", -"})
    void share_isAPercentage_withoutNoise(String json, String expected) {
        assertThat(Views.percent(RecordingReleaseApi.parse(json))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"\"5s\"|5s", "256|256", "null|-", "{\"a\": 1}|{\"a\":1}", "true|true"})
    void aValue_readsAsWritten_stringsWithoutQuotes(String json, String expected) {
        assertThat(Views.text(RecordingReleaseApi.parse(json))).isEqualTo(expected);
    }
}
