package io.palisade.canary;

import io.palisade.error.ErrorKind;
import io.palisade.outcome.Outcome;
import java.util.Optional;
import java.util.SplittableRandom;

/** Outcomes built directly, and seeded traffic of two versions split as a rollout step splits it. */
final class Traffic {
    static final String BASELINE = "6";
    static final String CANARY = "7";
    static final long MS = 1_000_000L;

    private Traffic() {}

    static Outcome outcome(String version, int status, Outcome.Ending ending, Optional<ErrorKind> error,
                           long totalNanos) {
        return new Outcome("req", version, 0, "127.0.0.1", "GET", "/a", "", "r", "c", "127.0.0.1:1", "", status,
                ending, error, 0, 0, totalNanos, 0, 1, "");
    }

    static Outcome ok(String version, long totalNanos) {
        return outcome(version, 200, Outcome.Ending.ANSWERED, Optional.empty(), totalNanos);
    }

    static Outcome gatewayError(String version, ErrorKind kind, long totalNanos) {
        return outcome(version, kind.status().code(), Outcome.Ending.ANSWERED, Outcome.errorOf(kind), totalNanos);
    }

    /** {@code count} outcomes of {@code version}, all answered 200 in {@code millis}. */
    static void oks(CanaryJudge judge, String version, int count, long millis) {
        for (int i = 0; i < count; i++) {
            judge.onOutcome(ok(version, millis * MS));
        }
    }

    /**
     * How one version behaves: a share of requests answered by an upstream 502, total times log-normal around a
     * median, and a share delayed by a pause (a GC or a scheduler hiccup).
     */
    record Profile(double failureRate, double medianMillis, double sigma, double pauseRate, double pauseMillis) {
        static Profile of(double failureRate, double medianMillis) {
            return new Profile(failureRate, medianMillis, 0.3, 0, 0);
        }

        Profile slower(double factor) {
            return new Profile(failureRate, medianMillis * factor, sigma, pauseRate, pauseMillis);
        }

        Profile failing(double rate) {
            return new Profile(rate, medianMillis, sigma, pauseRate, pauseMillis);
        }

        Outcome next(String version, SplittableRandom random) {
            double millis = medianMillis * Math.exp(sigma * random.nextGaussian(0, 1));
            if (random.nextDouble() < pauseRate) {
                millis += pauseMillis;
            }
            long nanos = (long) (millis * MS);
            if (random.nextDouble() < failureRate) {
                return outcome(version, 502, Outcome.Ending.ANSWERED, Optional.empty(), nanos);
            }
            return ok(version, nanos);
        }
    }

    /** One look's worth of requests: {@code requests} in all, each to the canary with chance {@code split}. */
    static void look(CanaryJudge judge, SplittableRandom random, int requests, double split, Profile baseline,
                     Profile canary) {
        for (int i = 0; i < requests; i++) {
            if (random.nextDouble() < split) {
                judge.onOutcome(canary.next(CANARY, random));
            } else {
                judge.onOutcome(baseline.next(BASELINE, random));
            }
        }
    }
}
