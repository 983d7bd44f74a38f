/**
 * The canary judge of staged config releases: {@link io.palisade.canary.CanaryJudge} subscribes to the gateway's
 * outcomes, keeps the baseline's and the canary's failures and latencies over the current rollout step, and at each
 * look says whether the canary regressed ({@link io.palisade.canary.Verdict}), with exact tests whose false-rollback
 * chance over a whole rollout is bounded by {@code 1 - confidence} ({@link io.palisade.canary.JudgeSettings}).
 * See {@code docs/releases.md}, "The canary judge".
 *
 * <p>Imports only the outcome record and the error taxonomy: the release manager that acts on the verdicts lives
 * elsewhere.
 */
package io.palisade.canary;
