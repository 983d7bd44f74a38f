package io.palisade.canary;

import static io.palisade.canary.Traffic.BASELINE;
import static io.palisade.canary.Traffic.CANARY;
import static io.palisade.canary.Traffic.MS;
import static io.palisade.canary.Traffic.gatewayError;
import static io.palisade.canary.Traffic.ok;
import static io.palisade.canary.Traffic.oks;
import static io.palisade.canary.Traffic.outcome;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.assertj.core.data.Percentage.withPercentage;

import io.palisade.canary.Traffic.Profile;
import io.palisade.error.ErrorKind;
import io.palisade.outcome.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class CanaryJudgeTest {
    /** 200 requests/s looked at every 5 s: 1000 requests a look. */
    private static final int PER_LOOK = 1_000;

    private static CanaryJudge judge() {
        return new CanaryJudge(JudgeSettings.defaults(), BASELINE, CANARY);
    }

    @Test
    void hungAuthCanary_isRegressedAtTheFirstLook_onFiveFailures() {
        // 1% of 200 req/s: in the first 5 s the baseline answers ~990 requests and the canary's first five wait out
        // the external auth timeout and answer 503 auth_unavailable.
        CanaryJudge judge = judge();
        oks(judge, BASELINE, 990, 2);
        for (int i = 0; i < 5; i++) {
            judge.onOutcome(gatewayError(CANARY, ErrorKind.AUTH_UNAVAILABLE, 1_000 * MS));
        }

        Verdict v = judge.look();

        assertThat(v.kind()).as(v.reason()).isEqualTo(Verdict.Kind.REGRESSED);
        assertThat(v.reason()).startsWith("look 1 ").contains("errors: canary 5/5");
        assertThat(v.figures().canary()).extracting(Side::requests, Side::failures, Side::errorRate)
                .containsExactly(5L, 5L, 1.0);
        assertThat(v.figures().baseline().failures()).isZero();
    }

    @Test
    void hungAuthCanary_fiveFailuresSuffice_evenAtTheLastPlannedLook_withABaselineFailure() {
        CanaryJudge judge = judge();
        for (int i = 1; i < JudgeSettings.defaults().maxLooks(); i++) {
            assertThat(judge.look().kind()).isEqualTo(Verdict.Kind.INSUFFICIENT); // looks that saw nothing still spend
        }
        oks(judge, BASELINE, 989, 2);
        judge.onOutcome(outcome(BASELINE, 502, Outcome.Ending.ANSWERED, Optional.empty(), 2 * MS));
        for (int i = 0; i < 5; i++) {
            judge.onOutcome(gatewayError(CANARY, ErrorKind.AUTH_UNAVAILABLE, 1_000 * MS));
        }

        Verdict v = judge.look();

        assertThat(v.kind()).as(v.reason()).isEqualTo(Verdict.Kind.REGRESSED);
        assertThat(v.reason()).startsWith("look 24 ");
    }

    @Test
    void errorRateUpFivePoints_isRegressedWithinTheStep() {
        // 10% step: 0.5% baseline failures, 5.5% on the canary.
        CanaryJudge judge = judge();
        SplittableRandom random = new SplittableRandom(5);
        Profile baseline = Profile.of(0.005, 5);
        List<Verdict> verdicts = new ArrayList<>();
        for (int look = 0; look < 6 && !regressed(verdicts); look++) {
            Traffic.look(judge, random, PER_LOOK, 0.10, baseline, baseline.failing(0.055));
            verdicts.add(judge.look());
        }

        assertThat(verdicts).last().extracting(Verdict::kind).as(verdicts.toString())
                .isEqualTo(Verdict.Kind.REGRESSED);
        assertThat(verdicts.getLast().reason()).contains("errors: canary");
    }

    @Test
    void latencyTripled_isRegressed() {
        CanaryJudge judge = judge();
        SplittableRandom random = new SplittableRandom(3);
        Profile baseline = Profile.of(0, 20);
        List<Verdict> verdicts = new ArrayList<>();
        for (int look = 0; look < 6 && !regressed(verdicts); look++) {
            Traffic.look(judge, random, PER_LOOK, 0.10, baseline, baseline.slower(3));
            verdicts.add(judge.look());
        }

        assertThat(verdicts).hasSizeLessThanOrEqualTo(2).last().extracting(Verdict::kind).as(verdicts.toString())
                .isEqualTo(Verdict.Kind.REGRESSED);
        assertThat(verdicts.getLast().reason()).contains("p99: canary").doesNotContain("errors:");
    }

    @Test
    void latencyUpTwentyPercent_isNotFlagged_andTheStepIsHealthy() {
        CanaryJudge judge = judge();
        SplittableRandom random = new SplittableRandom(20);
        Profile baseline = Profile.of(0.005, 20);
        List<Verdict> verdicts = new ArrayList<>();
        for (int look = 0; look < 6; look++) {
            Traffic.look(judge, random, PER_LOOK, 0.10, baseline, baseline.slower(1.2));
            verdicts.add(judge.look());
        }

        assertThat(verdicts).extracting(Verdict::kind).as(verdicts.toString())
                .doesNotContain(Verdict.Kind.REGRESSED).endsWith(Verdict.Kind.HEALTHY);
        assertThat(verdicts.getLast().reason()).contains("canary above it 0/");
    }

    @Test
    void subMillisecondLatencyTripled_withPausesOnBothSides_staysUnderTheFloor() {
        // Loopback: 0.2 ms against 0.6 ms is +200%, but under the 5 ms floor; 0.5% of both sides' requests meet a
        // 40 ms pause.
        CanaryJudge judge = judge();
        SplittableRandom random = new SplittableRandom(7);
        Profile baseline = new Profile(0, 0.2, 0.3, 0.005, 40);
        List<Verdict> verdicts = new ArrayList<>();
        for (int look = 0; look < 6; look++) {
            Traffic.look(judge, random, PER_LOOK, 0.5, baseline, baseline.slower(3));
            verdicts.add(judge.look());
        }

        assertThat(verdicts).extracting(Verdict::kind).as(verdicts.toString())
                .doesNotContain(Verdict.Kind.REGRESSED).endsWith(Verdict.Kind.HEALTHY);
        assertThat(verdicts.getLast().figures().canary().p99Millis())
                .isGreaterThan(verdicts.getLast().figures().baseline().p99Millis());
    }

    @Test
    void latency_isNotJudged_untilTheBaselineCanBoundItsP99() {
        CanaryJudge judge = judge();
        oks(judge, BASELINE, 100, 1);
        oks(judge, CANARY, 200, 1_000);

        Verdict v = judge.look();

        assertThat(v.kind()).as(v.reason()).isEqualTo(Verdict.Kind.HEALTHY);
        assertThat(v.reason()).contains("p99: not judged, 100 baseline requests are too few");

        oks(judge, BASELINE, 900, 1);
        assertThat(judge.look().kind()).isEqualTo(Verdict.Kind.REGRESSED);
    }

    @Test
    void clientErrors_areRequestsButNotFailures() {
        CanaryJudge judge = judge();
        oks(judge, BASELINE, 2_000, 5);
        ErrorKind[] fourXx = {ErrorKind.UNAUTHENTICATED, ErrorKind.FORBIDDEN, ErrorKind.ROUTE_NOT_FOUND,
            ErrorKind.RATE_LIMITED, ErrorKind.BODY_TOO_LARGE, ErrorKind.MALFORMED_REQUEST};
        for (int i = 0; i < 300; i++) {
            judge.onOutcome(gatewayError(CANARY, fourXx[i % fourXx.length], 5 * MS));
        }
        for (int i = 0; i < 100; i++) {
            judge.onOutcome(outcome(CANARY, 404, Outcome.Ending.ANSWERED, Optional.empty(), 5 * MS)); // upstream 4xx
        }

        Verdict v = judge.look();

        assertThat(v.figures().canary()).extracting(Side::requests, Side::failures).containsExactly(400L, 0L);
        assertThat(v.kind()).as(v.reason()).isEqualTo(Verdict.Kind.HEALTHY);
    }

    @Test
    void clientGone_isNotCountedAtAll() {
        CanaryJudge judge = judge();
        oks(judge, BASELINE, 2_000, 5);
        for (int i = 0; i < 500; i++) {
            judge.onOutcome(outcome(CANARY, 0, Outcome.Ending.CLIENT_GONE, Optional.empty(), 30_000 * MS));
            judge.onOutcome(outcome(CANARY, 200, Outcome.Ending.CLIENT_GONE, Optional.empty(), 30_000 * MS));
        }

        Verdict v = judge.look();

        assertThat(v.figures().canary()).isEqualTo(new Side(CANARY, 0, 0, 0, 0));
        assertThat(v.kind()).isEqualTo(Verdict.Kind.INSUFFICIENT);
    }

    @Test
    void failures_are5xxFromEitherSide_andCutResponses() {
        assertThat(CanaryJudge.isFailure(ok(CANARY, MS))).isFalse();
        assertThat(CanaryJudge.isFailure(outcome(CANARY, 503, Outcome.Ending.ANSWERED, Optional.empty(), MS)))
                .as("an upstream 503").isTrue();
        assertThat(CanaryJudge.isFailure(gatewayError(CANARY, ErrorKind.AUTH_UNAVAILABLE, MS))).isTrue();
        assertThat(CanaryJudge.isFailure(gatewayError(CANARY, ErrorKind.UPSTREAM_TIMEOUT, MS))).isTrue();
        assertThat(CanaryJudge.isFailure(gatewayError(CANARY, ErrorKind.INTERNAL, MS))).isTrue();
        assertThat(CanaryJudge.isFailure(outcome(CANARY, 200, Outcome.Ending.CUT,
                Outcome.errorOf(ErrorKind.UPSTREAM_RESET), MS))).as("a 200 cut mid-body").isTrue();
        assertThat(CanaryJudge.isFailure(outcome(CANARY, 0, Outcome.Ending.ANSWERED,
                Outcome.errorOf(ErrorKind.SHUTTING_DOWN), MS))).as("no status, a 5xx error").isTrue();
        assertThat(CanaryJudge.isFailure(gatewayError(CANARY, ErrorKind.RATE_LIMITED, MS))).isFalse();
    }

    @Test
    void cutResponses_count_andRollBack() {
        CanaryJudge judge = judge();
        oks(judge, BASELINE, 2_000, 5);
        oks(judge, CANARY, 180, 5);
        for (int i = 0; i < 20; i++) {
            judge.onOutcome(outcome(CANARY, 200, Outcome.Ending.CUT, Outcome.errorOf(ErrorKind.UPSTREAM_RESET),
                    5 * MS));
        }

        Verdict v = judge.look();

        assertThat(v.figures().canary()).extracting(Side::requests, Side::failures).containsExactly(200L, 20L);
        assertThat(v.kind()).as(v.reason()).isEqualTo(Verdict.Kind.REGRESSED);
    }

    @Test
    void otherVersions_areIgnored() {
        CanaryJudge judge = judge();
        oks(judge, BASELINE, 1_000, 5);
        oks(judge, CANARY, 250, 5);
        for (int i = 0; i < 1_000; i++) {
            judge.onOutcome(gatewayError("5", ErrorKind.UPSTREAM_TIMEOUT, 10_000 * MS));
            judge.onOutcome(gatewayError("8", ErrorKind.INTERNAL, 10_000 * MS));
        }

        Verdict v = judge.look();

        assertThat(v.figures().baseline()).extracting(Side::requests, Side::failures).containsExactly(1_000L, 0L);
        assertThat(v.figures().canary()).extracting(Side::requests, Side::failures).containsExactly(250L, 0L);
        assertThat(v.kind()).isEqualTo(Verdict.Kind.HEALTHY);
    }

    @Test
    void insufficient_untilMinRequests_thenHealthy() {
        CanaryJudge judge = judge();
        assertThat(judge.look().kind()).as("no data holds, never passes").isEqualTo(Verdict.Kind.INSUFFICIENT);
        oks(judge, BASELINE, 2_000, 5);
        oks(judge, CANARY, 199, 5);

        Verdict before = judge.look();
        assertThat(before.kind()).isEqualTo(Verdict.Kind.INSUFFICIENT);
        assertThat(before.reason()).contains("199 of 200 canary requests");

        oks(judge, CANARY, 1, 5);
        assertThat(judge.look().kind()).isEqualTo(Verdict.Kind.HEALTHY);
    }

    @Test
    void newStep_restartsBothWindows_butNotTheLooks() {
        CanaryJudge judge = judge();
        oks(judge, BASELINE, 2_000, 5);
        oks(judge, CANARY, 300, 5);
        assertThat(judge.look().kind()).isEqualTo(Verdict.Kind.HEALTHY);

        judge.newStep();

        assertThat(judge.figures()).isEqualTo(new Figures(new Side(BASELINE, 0, 0, 0, 0), new Side(CANARY, 0, 0, 0, 0)));
        Verdict v = judge.look();
        assertThat(v.kind()).isEqualTo(Verdict.Kind.INSUFFICIENT);
        assertThat(v.reason()).startsWith("look 2 ");

        oks(judge, BASELINE, 10, 5);
        oks(judge, CANARY, 3, 5);
        assertThat(judge.figures().baseline().requests()).isEqualTo(10);
        assertThat(judge.figures().canary().requests()).isEqualTo(3);
    }

    @Test
    void figures_spendNoLook_andShowBothSides() {
        CanaryJudge judge = judge();
        oks(judge, BASELINE, 99, 10);
        judge.onOutcome(gatewayError(BASELINE, ErrorKind.UPSTREAM_TIMEOUT, 100 * MS));
        oks(judge, CANARY, 10, 4);

        Figures f = judge.figures();
        judge.figures();

        assertThat(f.baseline()).extracting(Side::version, Side::requests, Side::failures, Side::errorRate)
                .containsExactly(BASELINE, 100L, 1L, 0.01);
        assertThat(f.baseline().p99Millis()).isCloseTo(10, withPercentage(1));
        assertThat(f.canary().p99Millis()).isCloseTo(4, withPercentage(1));
        assertThat(judge.look().reason()).startsWith("look 1 ");
    }

    @Test
    void concurrentOutcomes_fromFourThreads_loseNoCounts() throws Exception {
        CanaryJudge judge = judge();
        int perThread = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        String version = i % 4 == 0 ? CANARY : i % 4 == 1 ? "other" : BASELINE;
                        int status = i % 10 == thread ? 503 : 200;
                        judge.onOutcome(outcome(version, status, Outcome.Ending.ANSWERED, Optional.empty(),
                                (1 + i % 50) * MS));
                    }
                    return null;
                }));
            }
            // A reader flipping the histograms while the writers write.
            Future<?> reader = pool.submit(() -> {
                start.await();
                while (writing.get()) {
                    judge.figures();
                }
                return null;
            });
            start.countDown();
            for (Future<?> w : writers) {
                w.get();
            }
            writing.set(false);
            reader.get();
        } finally {
            pool.shutdownNow();
        }

        Figures f = judge.figures();
        // Per thread: i % 4 == 0 -> canary (12 500), 2 and 3 -> baseline (25 000); 503 where i % 10 == thread.
        long canaryFailures = 0;
        long baselineFailures = 0;
        for (int t = 0; t < 4; t++) {
            for (int i = 0; i < perThread; i++) {
                if (i % 10 == t) {
                    if (i % 4 == 0) {
                        canaryFailures++;
                    } else if (i % 4 != 1) {
                        baselineFailures++;
                    }
                }
            }
        }
        assertThat(f.canary()).extracting(Side::requests, Side::failures).containsExactly(4L * 12_500, canaryFailures);
        assertThat(f.baseline()).extracting(Side::requests, Side::failures)
                .containsExactly(4L * 25_000, baselineFailures);
    }

    @Test
    void theCanaryAndTheBaseline_areDifferentVersions() {
        assertThatThrownBy(() -> new CanaryJudge(JudgeSettings.defaults(), "7", "7"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void settings_defaults_andWhatTheyRefuse() {
        JudgeSettings d = JudgeSettings.defaults();
        assertThat(d).isEqualTo(new JudgeSettings(0.01, 0.5, 0.99, Duration.ofSeconds(5), 200, 24));
        assertThat(d.alpha()).isCloseTo(0.01, offset(1e-12));
        assertThat(JudgeSettings.looksFor(4, Duration.ofSeconds(30), Duration.ofSeconds(7))).isEqualTo(20);

        assertThatThrownBy(() -> new JudgeSettings(0.01, 0.5, 1.0, Duration.ofSeconds(5), 200, 24))
                .hasMessage("confidence: 1.0 (expected: > 0 and < 1)");
        assertThatThrownBy(() -> new JudgeSettings(0.01, 0.5, 0.99, Duration.ofSeconds(5), 0, 24))
                .hasMessage("min_requests: 0 (expected: >= 1)");
        assertThatThrownBy(() -> new JudgeSettings(-0.01, 0.5, 0.99, Duration.ofSeconds(5), 200, 24))
                .hasMessageStartingWith("max_error_rate_increase: -0.01");
        assertThatThrownBy(() -> new JudgeSettings(0.01, Double.NaN, 0.99, Duration.ofSeconds(5), 200, 24))
                .hasMessageStartingWith("max_p99_increase: NaN");
        assertThatThrownBy(() -> new JudgeSettings(0.01, 0.5, 0.99, Duration.ZERO, 200, 24))
                .hasMessageStartingWith("interval: PT0S");
        assertThatThrownBy(() -> new JudgeSettings(0.01, 0.5, 0.99, Duration.ofSeconds(5), 200, 0))
                .hasMessageStartingWith("maxLooks: 0");
    }

    private static boolean regressed(List<Verdict> verdicts) {
        return !verdicts.isEmpty() && verdicts.getLast().kind() == Verdict.Kind.REGRESSED;
    }
}
