package io.palisade.release;

import io.palisade.canary.CanaryJudge;
import io.palisade.canary.Verdict;
import io.palisade.outcome.OutcomePublisher;
import java.time.Instant;

/**
 * One staged rollout in progress: the version being judged, the one it is judged against, and where it stands. Only
 * the release thread reads or changes it.
 */
final class Rollout<P, C> {
    final Serving<P, C> baseline;
    final Serving<P, C> canary;
    final RolloutPolicy policy;
    final CanaryJudge judge;
    final OutcomePublisher.Subscription subscription;
    int step;
    long stepStartNanos;
    Instant stepStartedAt;
    boolean paused;
    Verdict lastVerdict;

    Rollout(Serving<P, C> baseline, Serving<P, C> canary, RolloutPolicy policy, CanaryJudge judge,
            OutcomePublisher.Subscription subscription) {
        this.baseline = baseline;
        this.canary = canary;
        this.policy = policy;
        this.judge = judge;
        this.subscription = subscription;
    }

    double share() {
        return policy.steps().get(step);
    }

    /** "step 2 of 4 (10%)", counted as {@code GET /config/rollout} and the CLI count: the last step is the promotion. */
    String describeStep() {
        return "step " + (step + 1) + " of " + policy.steps().size() + " (" + RolloutPolicy.percent(share()) + ")";
    }
}
