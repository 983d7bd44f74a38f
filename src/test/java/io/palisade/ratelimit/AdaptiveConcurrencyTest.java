package io.palisade.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.config.ConfigErrors;
import io.palisade.config.ConfigNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AdaptiveConcurrencyTest {
    private static final long MS = 1_000_000L;

    private static AdaptiveConcurrencySettings settings(String yaml) {
        ConfigErrors errors = new ConfigErrors();
        AdaptiveConcurrencySettings s = AdaptiveConcurrencySettings.parse(
                Yaml.node(yaml, "clusters.orders.adaptive_concurrency", errors));
        errors.throwIfAny();
        return s;
    }

    @Test
    void atTheLimit_theHeavyConsumerIsShed_andTheLightOneAdmitted() {
        AdaptiveConcurrency ac = AdaptiveConcurrency.create(settings("{ min: 20, max: 20 }"));
        List<AdaptiveConcurrency.Permit> heavy = new ArrayList<>();
        Optional<AdaptiveConcurrency.Permit> p;
        while ((p = ac.tryAcquire("heavy")).isPresent()) {
            heavy.add(p.get());
        }
        // Alone, the heavy consumer still leaves the reserve (10% of 20) to others.
        assertThat(heavy).hasSize(18);
        assertThat(ac.inFlight()).isEqualTo(18);

        assertThat(ac.tryAcquire("light")).as("light, below its share").isPresent();
        assertThat(ac.tryAcquire("heavy")).as("heavy, over its share").isEmpty();
        assertThat(ac.tryAcquire("light")).isPresent();
        assertThat(ac.inFlight()).isEqualTo(ac.limit());
        assertThat(ac.tryAcquire("light")).as("at the limit nobody gets in").isEmpty();

        heavy.remove(0).onComplete(10 * MS, false);
        assertThat(ac.tryAcquire("heavy")).as("the freed slot is not the heavy one's").isEmpty();
        assertThat(ac.tryAcquire("light")).isPresent();
        assertThat(ac.inFlight("light")).isEqualTo(3);
        assertThat(ac.inFlight("heavy")).isEqualTo(17);
        assertThat(ac.rejections()).isEqualTo(3 + 1);
        assertThat(AdaptiveConcurrency.REJECTION.status().code()).isEqualTo(503);
    }

    @Test
    void manyLightConsumers_areAdmittedUpToTheLimit_whileTheHeavyOneIsCappedAtItsShare() {
        AdaptiveConcurrency ac = AdaptiveConcurrency.create(settings("{ min: 40, max: 40 }"));
        for (int i = 0; i < 5; i++) {
            assertThat(ac.tryAcquire("light-" + i)).isPresent();
        }
        int heavy = 0;
        while (ac.tryAcquire("heavy").isPresent()) {
            heavy++;
        }
        // 5 others + heavy + one held back: share ceil(40/7) = 6; past it heavy stops at 40 - 4 in flight.
        assertThat(heavy).isEqualTo(31);
        // The 4 reserved slots go to light consumers; then the cluster is at its limit for everyone.
        for (int i = 0; i < 4; i++) {
            assertThat(ac.tryAcquire("light-" + i)).as("light-%d", i).isPresent();
        }
        assertThat(ac.inFlight()).isEqualTo(40);
        assertThat(ac.tryAcquire("light-4")).isEmpty();
        assertThat(ac.tryAcquire("heavy")).isEmpty();
    }

    @Test
    void aRefusal_saysWhetherTheConsumerWasShedOverItsShare_orTheClusterWasFullForALightOne() {
        AdaptiveConcurrency ac = AdaptiveConcurrency.create(settings("{ min: 20, max: 20 }"));
        while (ac.admit("heavy") instanceof AdaptiveConcurrency.Permit) {
            // the heavy consumer takes all it may
        }
        assertThat(ac.admit("heavy")).isEqualTo(AdaptiveConcurrency.Refusal.SHED);
        assertThat(AdaptiveConcurrency.Refusal.SHED.kind().code()).isEqualTo("load_shed");
        assertThat(ac.admit("light")).isInstanceOf(AdaptiveConcurrency.Permit.class);
        assertThat(ac.admit("light")).isInstanceOf(AdaptiveConcurrency.Permit.class);
        // The cluster is at its limit: the light consumer is still below its share, and is refused all the same;
        // that is the service failing it, not its own excess.
        assertThat(ac.inFlight()).isEqualTo(20);
        assertThat(ac.admit("light")).isEqualTo(AdaptiveConcurrency.Refusal.SATURATED);
        assertThat(AdaptiveConcurrency.Refusal.SATURATED.kind().code()).isEqualTo("upstream_overloaded");
        assertThat(AdaptiveConcurrency.Refusal.SATURATED.kind().status().code()).isEqualTo(503);
        assertThat(ac.rejections()).as("the refusal that ended the loop, SHED and SATURATED").isEqualTo(3);
    }

    /** Keeps as many requests in flight as the limiter admits, completing the oldest with {@code latency} each step. */
    private static final class Load {
        final AdaptiveConcurrency ac;
        final ArrayDeque<AdaptiveConcurrency.Permit> outstanding = new ArrayDeque<>();

        Load(AdaptiveConcurrency ac) {
            this.ac = ac;
        }

        int run(int completions, long latency, boolean dropped) {
            for (int i = 0; i < completions; i++) {
                Optional<AdaptiveConcurrency.Permit> p;
                while ((p = ac.tryAcquire("tenant")).isPresent()) {
                    outstanding.add(p.get());
                }
                AdaptiveConcurrency.Permit oldest = outstanding.poll();
                if (oldest != null) {
                    oldest.onComplete(latency, dropped);
                }
            }
            return ac.limit();
        }
    }

    @Test
    void limit_growsAtSteadyLatency_shrinksWhenLatencyRises_andRecovers() {
        AdaptiveConcurrency ac = AdaptiveConcurrency.create(
                settings("{ min: 8, max: 512, initial: 50, window: 10 }"));
        Load load = new Load(ac);
        int steady = load.run(400, 10 * MS, false);
        int slow = load.run(150, 40 * MS, false);
        int recovered = load.run(1_000, 10 * MS, false);
        System.out.printf("adaptive limit: start 50, steady %d, latency x4 %d, recovered %d%n",
                steady, slow, recovered);
        assertThat(steady).isGreaterThan(50);
        assertThat(slow).isLessThan(steady * 3 / 4);
        assertThat(recovered).isGreaterThan(slow * 3 / 2);
    }

    @Test
    void limit_staysWithinMinAndMax() {
        AdaptiveConcurrency ac = AdaptiveConcurrency.create(settings("{ min: 8, max: 64, initial: 20, window: 5 }"));
        Load load = new Load(ac);
        assertThat(load.run(5_000, 10 * MS, false)).isEqualTo(64);
        assertThat(load.run(2_000, 500 * MS, true)).as("drops cut it down to min").isEqualTo(8);
        assertThat(load.run(10_000, 10 * MS, false)).isEqualTo(64);
    }

    @Test
    void idleCluster_doesNotGrowItsLimit() {
        AdaptiveConcurrency ac = AdaptiveConcurrency.create(settings("{ initial: 40, window: 5 }"));
        for (int i = 0; i < 1_000; i++) {
            ac.tryAcquire("one-at-a-time").orElseThrow().onComplete(10 * MS, false);
        }
        assertThat(ac.limit()).isEqualTo(40);
    }

    @Test
    void permits_endOnce_andLeaveNoConsumerBehind() {
        AdaptiveConcurrency ac = AdaptiveConcurrency.create(settings("{ }"));
        AdaptiveConcurrency.Permit a = ac.tryAcquire("acme").orElseThrow();
        AdaptiveConcurrency.Permit b = ac.tryAcquire("acme").orElseThrow();
        a.onComplete(MS, false);
        a.onComplete(MS, false);
        a.release();
        assertThat(ac.inFlight()).isEqualTo(1);
        b.release();
        b.onComplete(MS, false);
        assertThat(ac.inFlight()).isZero();
        assertThat(ac.inFlight("acme")).isZero();
    }

    @Test
    void disabled_admitsEverything() {
        AdaptiveConcurrency ac = AdaptiveConcurrency.create(
                AdaptiveConcurrencySettings.parse(new ConfigNode(null, "x", new ConfigErrors())));
        for (int i = 0; i < 10_000; i++) {
            assertThat(ac.tryAcquire("acme")).isPresent();
        }
        assertThat(ac.limit()).isEqualTo(Integer.MAX_VALUE);
        ac.update(settings("{ min: 5, max: 5 }"));
        assertThat(ac.limit()).isEqualTo(5);
    }

    @Test
    void settings_areParsedWithDefaults_andMistakesReported() {
        AdaptiveConcurrencySettings s = settings("{ enabled: true, min: 8, max: 512 }");
        assertThat(s).isEqualTo(new AdaptiveConcurrencySettings(true, 8, 512, 20, 1.5, 20));
        assertThat(settings("{ enabled: false }").enabled()).isFalse();

        ConfigErrors errors = new ConfigErrors();
        AdaptiveConcurrencySettings.parse(Yaml.node("{ min: 0, max: 4, initial: 9, tolerance: 0.5, limit: 3 }",
                "clusters.orders.adaptive_concurrency", errors));
        assertThat(errors.list()).containsExactlyInAnyOrder(
                "clusters.orders.adaptive_concurrency.limit: unknown key (expected one of: enabled, initial, max, min,"
                        + " tolerance, window)",
                "clusters.orders.adaptive_concurrency.min: 0 (expected: between 1 and 1000000)",
                "clusters.orders.adaptive_concurrency.initial: 9 (expected: between min (8) and max (8))",
                "clusters.orders.adaptive_concurrency.max: 4 (expected: >= min (8))",
                "clusters.orders.adaptive_concurrency.tolerance: 0.5 (expected: a number between 1.0 and 10.0)");
    }
}
