package io.palisade.canary;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.canary.Traffic.Profile;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A/A rollouts: the canary behaves exactly like the baseline, and must (almost) never be rolled back. Each rollout is
 * the default plan, seeded: steps of 1%, 10%, 50% and 100% of 200 requests/s, six looks of 5 s each, 24 in all.
 */
class CanaryJudgeAaTest {
    private static final double[] STEPS = {0.01, 0.10, 0.50, 1.00};
    private static final int LOOKS_PER_STEP = 6;
    private static final int PER_LOOK = 1_000;

    /**
     * The bound the judge guarantees is 1% per rollout; its confidence bounds make the real rate far lower. Of 1000
     * rollouts at most 5 may be rolled back: were the real rate 1%, 5 or fewer of 1000 would happen with chance
     * 6.6% (binomial), so passing shows the rate is well below the guarantee, and the seeds make the run repeatable.
     */
    @Test
    void aaRollouts_areRarelyRolledBack_andReachHealthy() {
        // 0.5% failures and a log-normal latency with a tail, plus a pause on 0.3% of requests: the same on both sides.
        Profile same = new Profile(0.005, 5, 0.5, 0.003, 50);
        int rollouts = 1_000;
        int regressed = 0;
        int healthy = 0;
        for (int seed = 0; seed < rollouts; seed++) {
            Result r = rollout(new SplittableRandom(seed), same, same);
            regressed += r.regressed ? 1 : 0;
            healthy += r.healthyInEveryStepFrom10Percent ? 1 : 0;
        }

        System.out.printf("A/A: %d of %d rollouts rolled back, %d healthy in every step from 10%%%n", regressed,
                rollouts, healthy);
        assertThat(regressed).isLessThanOrEqualTo(5);
        assertThat(healthy).isEqualTo(rollouts - regressed);
    }

    /**
     * A canary exactly at the allowed increase (+1 pp) is no regression either: the test's null hypothesis at its
     * edge, where a false rollback is likeliest.
     */
    @Test
    void canaryAtTheAllowedIncrease_isRarelyRolledBack() {
        Profile baseline = new Profile(0.005, 5, 0.5, 0, 0);
        int rollouts = 300;
        int regressed = 0;
        for (int seed = 0; seed < rollouts; seed++) {
            regressed += rollout(new SplittableRandom(10_000 + seed), baseline, baseline.failing(0.015)).regressed
                    ? 1 : 0;
        }

        System.out.printf("edge of H0: %d of %d rollouts rolled back%n", regressed, rollouts);
        assertThat(regressed).isLessThanOrEqualTo(3);
    }

    private record Result(boolean regressed, boolean healthyInEveryStepFrom10Percent) {}

    private static Result rollout(SplittableRandom random, Profile baseline, Profile canary) {
        CanaryJudge judge = new CanaryJudge(JudgeSettings.defaults(), Traffic.BASELINE, Traffic.CANARY);
        boolean healthyEverywhere = true;
        for (int step = 0; step < STEPS.length; step++) {
            if (step > 0) {
                judge.newStep();
            }
            Verdict last = null;
            for (int look = 0; look < LOOKS_PER_STEP; look++) {
                Traffic.look(judge, random, PER_LOOK, STEPS[step], baseline, canary);
                last = judge.look();
                if (last.kind() == Verdict.Kind.REGRESSED) {
                    System.out.println("false rollback: " + last.reason());
                    return new Result(true, false);
                }
            }
            if (step > 0 && last.kind() != Verdict.Kind.HEALTHY) {
                healthyEverywhere = false;
            }
        }
        return new Result(false, healthyEverywhere);
    }
}
