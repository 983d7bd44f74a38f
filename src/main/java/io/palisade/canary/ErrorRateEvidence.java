package io.palisade.canary;

import java.util.Locale;

/**
 * H0: the canary's failure rate is at most the baseline's plus the allowed increase. The baseline's rate is itself
 * only estimated, so the canary is tested against the baseline's exact upper confidence bound plus the increase: a
 * canary that fails as often as the baseline is not rolled back because the baseline's window happened to be lucky.
 * The bound and the test each get half of the look's alpha, so together they are wrong at most that alpha.
 */
final class ErrorRateEvidence {
    private ErrorRateEvidence() {}

    static Finding judge(SideWindow.Sample baseline, SideWindow.Sample canary, double maxIncrease, double alpha) {
        if (canary.requests() == 0) {
            return new Finding(false, "errors: no canary requests");
        }
        double half = alpha / 2;
        double bound = Stats.upperBound(baseline.failures(), baseline.requests(), half);
        double allowed = bound + maxIncrease;
        String figures = String.format(Locale.ROOT,
                "errors: canary %d/%d (%.2f%%), baseline %d/%d (%.2f%%, at most %.2f%%), allowed %s",
                canary.failures(), canary.requests(), percent(canary.failures(), canary.requests()),
                baseline.failures(), baseline.requests(), percent(baseline.failures(), baseline.requests()),
                bound * 100, allowed >= 1 ? "anything: too few baseline requests" : String.format(Locale.ROOT,
                        "%.2f%%", allowed * 100));
        if (allowed >= 1) {
            return new Finding(false, figures);
        }
        double p = Stats.pAbove(canary.failures(), canary.requests(), allowed);
        boolean regressed = p <= half;
        return new Finding(regressed, figures + String.format(Locale.ROOT, ", p = %.3g %s %.3g", p,
                regressed ? "<=" : ">", half));
    }

    private static double percent(long part, long whole) {
        return whole == 0 ? 0 : 100.0 * part / whole;
    }
}
