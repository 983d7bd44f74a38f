package io.palisade.canary;

/**
 * The outcome of one {@link CanaryJudge#look()}.
 *
 * @param kind    what the release manager should do
 * @param reason  the figures and tests behind the verdict, for the log and the rollout status
 * @param figures the window the verdict was reached on
 */
public record Verdict(Kind kind, String reason, Figures figures) {
    public enum Kind {
        /** The canary is significantly worse than allowed: roll back now. */
        REGRESSED,
        /** The step has at least {@code minRequests} canary requests and no regression: it may be promoted. */
        HEALTHY,
        /** Not enough canary requests yet and no regression: hold. */
        INSUFFICIENT
    }
}
