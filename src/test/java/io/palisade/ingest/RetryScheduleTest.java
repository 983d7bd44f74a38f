package io.palisade.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.ingest.DeliveryResult.Failure;
import io.palisade.ingest.RetrySchedule.Verdict;
import io.palisade.route.IngestAction;
import io.palisade.store.IngestLog;
import io.palisade.testing.FakeTicker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Classification, backoff, Retry-After and the give-up rule, on a fake clock and a seeded random source. */
class RetryScheduleTest {
    private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
    private static final IngestAction.Retry RETRY = new IngestAction.Retry(Duration.ofMillis(500),
            Duration.ofMinutes(5), 25, Duration.ofHours(24));

    private final FakeTicker ticker = new FakeTicker();
    private final Clock clock = ticker.clock(T0);
    private final RetrySchedule schedule = new RetrySchedule(clock, new Random(42));

    private static IngestLog.Pending record(int attempts, Instant retrySince) {
        return new IngestLog.Pending(1, "rec-1", "track", retrySince, "POST", "/v1/track", "", List.of(),
                Optional.empty(), new byte[0], 10, attempts, retrySince);
    }

    @Test
    void classify_2xxDelivered_408_425_429_5xxRetried_otherStatusesQuarantined() {
        for (int s : new int[] {200, 201, 202, 204, 299}) {
            assertThat(RetrySchedule.classify(s)).as("%s", s).isEqualTo(Verdict.DELIVERED);
        }
        for (int s : new int[] {408, 425, 429, 500, 502, 503, 504, 599}) {
            assertThat(RetrySchedule.classify(s)).as("%s", s).isEqualTo(Verdict.RETRY);
        }
        for (int s : new int[] {100, 101, 199, 301, 304, 400, 401, 403, 404, 409, 413, 422, 431, 600}) {
            assertThat(RetrySchedule.classify(s)).as("%s", s).isEqualTo(Verdict.QUARANTINE);
        }
    }

    @Test
    void classify_failuresWithoutStatus() {
        for (Failure f : new Failure[] {Failure.CONNECT_FAILED, Failure.TIMEOUT, Failure.RESET, Failure.UNAVAILABLE}) {
            assertThat(RetrySchedule.classify(DeliveryResult.failed(f, "x"))).as("%s", f).isEqualTo(Verdict.RETRY);
        }
        assertThat(RetrySchedule.classify(DeliveryResult.failed(Failure.UNSENDABLE, "bad header")))
                .isEqualTo(Verdict.QUARANTINE);
    }

    @Test
    void backoff_fullJitterUnderADoublingCeilingCappedAtMax() {
        assertThat(RetrySchedule.ceilingNanos(RETRY, 1)).isEqualTo(Duration.ofMillis(500).toNanos());
        assertThat(RetrySchedule.ceilingNanos(RETRY, 2)).isEqualTo(Duration.ofMillis(1000).toNanos());
        assertThat(RetrySchedule.ceilingNanos(RETRY, 3)).isEqualTo(Duration.ofMillis(2000).toNanos());
        assertThat(RetrySchedule.ceilingNanos(RETRY, 10)).isEqualTo(Duration.ofMillis(256_000).toNanos());
        assertThat(RetrySchedule.ceilingNanos(RETRY, 11)).isEqualTo(Duration.ofMinutes(5).toNanos());
        for (int n : new int[] {1, 2, 5, 11, 40}) {
            long ceiling = RetrySchedule.ceilingNanos(RETRY, n);
            long lowest = Long.MAX_VALUE;
            long highest = 0;
            for (int i = 0; i < 2000; i++) {
                long d = schedule.backoff(RETRY, n).toNanos();
                assertThat(d).isBetween(0L, ceiling);
                lowest = Math.min(lowest, d);
                highest = Math.max(highest, d);
            }
            // Full jitter spreads over the whole range, not around the ceiling.
            assertThat(lowest).as("n=%s", n).isLessThan(ceiling / 10);
            assertThat(highest).as("n=%s", n).isGreaterThan(ceiling * 9 / 10);
        }
    }

    @Test
    void backoff_noOverflowForHugeAttemptCountsOrDurations() {
        for (int n : new int[] {62, 63, 64, 65, 1000, Integer.MAX_VALUE}) {
            assertThat(RetrySchedule.ceilingNanos(RETRY, n)).as("n=%s", n).isEqualTo(Duration.ofMinutes(5).toNanos());
            assertThat(schedule.backoff(RETRY, n)).isBetween(Duration.ZERO, Duration.ofMinutes(5));
        }
        IngestAction.Retry huge = new IngestAction.Retry(Duration.ofDays(365L * 1000), Duration.ofDays(365L * 1000),
                3, Duration.ofHours(1));
        assertThat(RetrySchedule.ceilingNanos(huge, 5)).isEqualTo(Long.MAX_VALUE);
        assertThat(schedule.backoff(huge, 5).isNegative()).isFalse();
        IngestAction.Retry zero = new IngestAction.Retry(Duration.ZERO, Duration.ofSeconds(1), 3,
                Duration.ofHours(1));
        assertThat(schedule.backoff(zero, 3)).isZero();
    }

    @Test
    void pause_equalJitterOverTheSameCeiling() {
        for (int rounds : new int[] {1, 3, 12, 100}) {
            long ceiling = RetrySchedule.ceilingNanos(RETRY, rounds);
            for (int i = 0; i < 500; i++) {
                assertThat(schedule.pause(RETRY, rounds).toNanos()).as("rounds=%s", rounds)
                        .isBetween(ceiling / 2, ceiling);
            }
        }
        IngestAction.Retry zero = new IngestAction.Retry(Duration.ZERO, Duration.ZERO, 3, Duration.ofHours(1));
        assertThat(schedule.pause(zero, 4)).isZero();
    }

    @Test
    void retryAfter_deltaSecondsAndHttpDatesInAllThreeForms() {
        assertThat(schedule.retryAfter("120")).contains(Duration.ofSeconds(120));
        assertThat(schedule.retryAfter(" 0 ")).contains(Duration.ZERO);
        assertThat(schedule.retryAfter("99999999999999999999")).get().satisfies(d ->
                assertThat(d).isGreaterThan(Duration.ofDays(365)));
        // T0 is Sunday 2026-03-01 12:00:00 UTC.
        assertThat(schedule.retryAfter("Sun, 01 Mar 2026 12:01:30 GMT")).contains(Duration.ofSeconds(90));
        assertThat(schedule.retryAfter("Sunday, 01-Mar-26 12:00:10 GMT")).contains(Duration.ofSeconds(10));
        assertThat(schedule.retryAfter("Sun Mar  1 12:00:05 2026")).contains(Duration.ofSeconds(5));
        assertThat(schedule.retryAfter("Sun, 01 Mar 2026 11:00:00 GMT")).as("past").contains(Duration.ZERO);
        ticker.advance(Duration.ofSeconds(60));
        assertThat(schedule.retryAfter("Sun, 01 Mar 2026 12:01:30 GMT")).as("read against the clock")
                .contains(Duration.ofSeconds(30));
        for (String bad : new String[] {"", "soon", "-5", "1.5", "Sun, 01 Mar 2026 12:01:30 CET",
                "Sun, 32 Mar 2026 12:01:30 GMT", "Sun, 01 Mar 2026"}) {
            assertThat(schedule.retryAfter(bad)).as("'%s'", bad).isEmpty();
        }
    }

    @Test
    void delay_retryAfterHonouredWhenLonger_cappedAtMax_ignoredWhenShorterOrUnparseable() {
        IngestAction.Retry r = new IngestAction.Retry(Duration.ofMillis(10), Duration.ofMinutes(1), 5,
                Duration.ofHours(1));
        assertThat(schedule.delay(r, 1, Optional.of("7"))).isEqualTo(Duration.ofSeconds(7));
        assertThat(schedule.delay(r, 1, Optional.of("Sun, 01 Mar 2026 12:00:20 GMT")))
                .isEqualTo(Duration.ofSeconds(20));
        assertThat(schedule.delay(r, 1, Optional.of("3600"))).as("capped at max").isEqualTo(Duration.ofMinutes(1));
        assertThat(schedule.delay(r, 1, Optional.of("0"))).isLessThanOrEqualTo(Duration.ofMillis(10));
        assertThat(schedule.delay(r, 1, Optional.of("garbage"))).isLessThanOrEqualTo(Duration.ofMillis(10));
        assertThat(schedule.delay(r, 1, Optional.empty())).isLessThanOrEqualTo(Duration.ofMillis(10));
    }

    @Test
    void giveUp_onlyWhenAttemptsAndAgeAreBothSpent() {
        assertThat(RetrySchedule.giveUp(RETRY, 25, T0, T0.plus(Duration.ofHours(24)))).isTrue();
        assertThat(RetrySchedule.giveUp(RETRY, 100, T0, T0.plus(Duration.ofHours(23)))).as("age left").isFalse();
        assertThat(RetrySchedule.giveUp(RETRY, 24, T0, T0.plus(Duration.ofDays(30)))).as("attempts left").isFalse();
        assertThat(RetrySchedule.giveUp(RETRY, 26, T0, T0.plus(Duration.ofDays(2)))).isTrue();
    }

    @Test
    void decide_deliveredRetriedAndQuarantinedResults() {
        Instant started = T0.plusMillis(1);
        Instant now = T0.plusMillis(5);
        IngestLog.AttemptResult ok = schedule.decide(RETRY, record(0, T0), started,
                DeliveryResult.answered(202, Optional.empty()), now);
        assertThat(ok.result()).isEqualTo(IngestLog.Result.DELIVERED);
        assertThat(ok.status()).isEqualTo(202);
        assertThat(ok.at()).isEqualTo(started);
        assertThat(ok.id()).isEqualTo("rec-1");

        IngestLog.AttemptResult again = schedule.decide(RETRY, record(2, T0), started,
                DeliveryResult.answered(503, Optional.empty()), now);
        assertThat(again.result()).isEqualTo(IngestLog.Result.RETRY);
        assertThat(again.status()).isEqualTo(503);
        // The third failed attempt: within [0, 2s] of now.
        assertThat(again.nextAttemptAt()).isBetween(now, now.plusSeconds(2));

        IngestLog.AttemptResult refused = schedule.decide(RETRY, record(0, T0), started,
                DeliveryResult.failed(Failure.CONNECT_FAILED, "connect refused"), now);
        assertThat(refused.result()).isEqualTo(IngestLog.Result.RETRY);
        assertThat(refused.status()).isZero();
        assertThat(refused.error()).isEqualTo("connect refused");

        IngestLog.AttemptResult bad = schedule.decide(RETRY, record(0, T0), started,
                DeliveryResult.answered(400, Optional.empty()), now);
        assertThat(bad.result()).isEqualTo(IngestLog.Result.QUARANTINE);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.reason()).contains("400");

        IngestLog.AttemptResult unsendable = schedule.decide(RETRY, record(0, T0), started,
                DeliveryResult.failed(Failure.UNSENDABLE, "header X-A refused"), now);
        assertThat(unsendable.result()).isEqualTo(IngestLog.Result.QUARANTINE);
        assertThat(unsendable.reason()).contains("header X-A refused");
    }

    @Test
    void decide_quarantinesARetryableFailureOnlyOnceAttemptsAndAgeAreSpent() {
        Instant late = T0.plus(Duration.ofHours(25));
        IngestLog.AttemptResult lastAttempt = schedule.decide(RETRY, record(24, T0), late, DeliveryResult.answered(
                503, Optional.empty()), late);
        assertThat(lastAttempt.result()).isEqualTo(IngestLog.Result.QUARANTINE);
        assertThat(lastAttempt.reason()).contains("25 attempts").contains("25h").contains("503");

        IngestLog.AttemptResult young = schedule.decide(RETRY, record(24, T0), T0.plusSeconds(60),
                DeliveryResult.answered(503, Optional.empty()), T0.plusSeconds(60));
        assertThat(young.result()).as("age not spent").isEqualTo(IngestLog.Result.RETRY);

        IngestLog.AttemptResult few = schedule.decide(RETRY, record(3, T0), late,
                DeliveryResult.failed(Failure.TIMEOUT, "timeout"), late);
        assertThat(few.result()).as("attempts not spent").isEqualTo(IngestLog.Result.RETRY);
    }

    @Test
    void sameSeed_sameDelays() {
        RetrySchedule a = new RetrySchedule(clock, new Random(7));
        RetrySchedule b = new RetrySchedule(clock, new Random(7));
        for (int n = 1; n < 20; n++) {
            assertThat(a.backoff(RETRY, n)).isEqualTo(b.backoff(RETRY, n));
        }
    }
}
