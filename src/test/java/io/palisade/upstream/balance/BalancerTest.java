package io.palisade.upstream.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.upstream.Endpoint;
import io.palisade.upstream.TestClusters;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BalancerTest {

    @Test
    void roundRobin_visitsEachEndpointInTurn() {
        List<Endpoint> eps = TestClusters.endpoints(1, 5, 1);
        Balancer<Endpoint> balancer = Balancer.roundRobin();
        List<Endpoint> picks = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            picks.add(balancer.pick(eps, ""));
        }
        assertThat(picks).containsExactly(eps.get(0), eps.get(1), eps.get(2), eps.get(0), eps.get(1), eps.get(2),
                eps.get(0), eps.get(1), eps.get(2));
    }

    @Test
    void weighted_givesExactRatiosOverWholeCycles() {
        List<Endpoint> eps = TestClusters.endpoints(5, 1, 1);
        Balancer<Endpoint> balancer = Balancer.weighted();
        Map<Endpoint, Integer> counts = count(balancer, eps, 7 * 1000);
        assertThat(counts).containsEntry(eps.get(0), 5000).containsEntry(eps.get(1), 1000)
                .containsEntry(eps.get(2), 1000);
    }

    @Test
    void weighted_interleavesSmoothly() {
        List<Endpoint> eps = TestClusters.endpoints(5, 1, 1);
        Balancer<Endpoint> balancer = Balancer.weighted();
        List<Endpoint> cycle = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            cycle.add(balancer.pick(eps, ""));
        }
        Endpoint a = eps.get(0);
        assertThat(cycle).containsExactly(a, a, eps.get(1), a, eps.get(2), a, a);
    }

    @Test
    void weighted_reducesByCommonDivisorAndKeepsRatios() {
        List<Endpoint> eps = TestClusters.endpoints(200, 400, 600);
        Map<Endpoint, Integer> counts = count(Balancer.weighted(), eps, 6 * 100);
        assertThat(counts).containsEntry(eps.get(0), 100).containsEntry(eps.get(1), 200)
                .containsEntry(eps.get(2), 300);
    }

    @Test
    void weighted_hugeWeights_scheduleStaysBoundedAndRatiosHold() {
        List<Endpoint> eps = TestClusters.endpoints(1_000_000, 2_000_001);
        Target[] schedule = SmoothWeightedBalancer.build(eps); // the schedule is typed by erasure: read it as Target[]
        assertThat(schedule.length).isLessThanOrEqualTo(SmoothWeightedBalancer.MAX_CYCLE);
        long first = java.util.Arrays.stream(schedule).filter(e -> e.equals(eps.get(0))).count();
        assertThat((double) first / schedule.length).isCloseTo(1.0 / 3, org.assertj.core.data.Offset.offset(0.001));
    }

    @Test
    void leastRequest_slowEndpointHoldingManyRequests_getsFarFewerPicks() {
        // Seed 000: endpoints differ in speed. A discrete simulation: each tick 8 requests arrive; the slow endpoint
        // takes 20 ticks per request, the others 1. Least-request sends new work where little is in flight.
        List<Endpoint> eps = TestClusters.endpoints(1, 1, 1, 1);
        Endpoint slow = eps.get(3);
        Balancer<Endpoint> balancer = Balancer.leastRequest();
        Map<Endpoint, Integer> picks = new HashMap<>();
        List<List<Endpoint>> finishing = new ArrayList<>();
        int ticks = 2_000;
        for (int t = 0; t < ticks + 25; t++) {
            finishing.add(new ArrayList<>());
        }
        for (int t = 0; t < ticks; t++) {
            for (Endpoint done : finishing.get(t)) {
                done.onRequestEnd();
            }
            for (int r = 0; r < 8; r++) {
                Endpoint e = balancer.pick(eps, "");
                e.onRequestStart();
                picks.merge(e, 1, Integer::sum);
                finishing.get(t + (e == slow ? 20 : 1)).add(e);
            }
        }
        int total = ticks * 8;
        // Round robin would give it a quarter (and pile up 40 requests in flight on it).
        assertThat(picks.getOrDefault(slow, 0)).isLessThan(total / 20);
        assertThat(slow.activeRequests()).isLessThan(10);
        for (Endpoint fast : eps.subList(0, 3)) {
            assertThat(picks.get(fast)).isGreaterThan(total / 4);
        }
    }

    @Test
    void leastRequest_twoEndpoints_neverPicksTheOneWithMoreInFlight() {
        List<Endpoint> eps = TestClusters.endpoints(1, 1);
        for (int i = 0; i < 10; i++) {
            eps.get(1).onRequestStart();
        }
        Map<Endpoint, Integer> counts = count(Balancer.leastRequest(), eps, 1000);
        assertThat(counts).containsEntry(eps.get(0), 1000).doesNotContainKey(eps.get(1));
    }

    @Test
    void leastRequest_comparesInFlightPerUnitOfWeight() {
        List<Endpoint> eps = TestClusters.endpoints(4, 1);
        Endpoint heavy = eps.get(0);
        Endpoint light = eps.get(1);
        hold(heavy, 3); // (3 + 1) / 4 = 1
        hold(light, 1); // (1 + 1) / 1 = 2
        assertThat(count(Balancer.leastRequest(), eps, 100)).containsEntry(heavy, 100);
        hold(heavy, 6); // (9 + 1) / 4 = 2.5
        assertThat(count(Balancer.leastRequest(), eps, 100)).containsEntry(light, 100);
    }

    @Test
    void consistentHash_sameKeyAlwaysSameEndpoint() {
        List<Endpoint> eps = TestClusters.endpoints(1, 1, 1, 1, 1);
        Balancer<Endpoint> balancer = Balancer.consistentHash();
        for (int k = 0; k < 1000; k++) {
            String key = "tenant-" + k;
            Endpoint first = balancer.pick(eps, key);
            for (int i = 0; i < 3; i++) {
                assertThat(balancer.pick(eps, key)).isEqualTo(first);
            }
            assertThat(Balancer.consistentHash().pick(List.copyOf(eps.reversed()), key))
                    .as("independent of list order and instance").isEqualTo(first);
        }
    }

    @Test
    void consistentHash_removingAnEndpoint_movesOnlyItsKeys() {
        List<Endpoint> eps = TestClusters.endpoints(1, 1, 1, 1, 1);
        Endpoint removed = eps.get(2);
        List<Endpoint> without = eps.stream().filter(e -> !e.equals(removed)).toList();
        Balancer<Endpoint> balancer = Balancer.consistentHash();
        int moved = 0;
        for (int k = 0; k < 20_000; k++) {
            String key = "user-" + k;
            Endpoint before = balancer.pick(eps, key);
            Endpoint after = balancer.pick(without, key);
            if (before.equals(removed)) {
                assertThat(after).isNotEqualTo(removed);
                moved++;
            } else {
                assertThat(after).as("key %s", key).isEqualTo(before);
            }
        }
        assertThat(moved).isBetween(20_000 / 5 * 7 / 10, 20_000 / 5 * 13 / 10);
    }

    @Test
    void consistentHash_spreadsKeysEvenlyAndByWeight() {
        List<Endpoint> eps = TestClusters.endpoints(1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        Map<Endpoint, Integer> counts = countKeys(Balancer.consistentHash(), eps, 100_000);
        // 160 points per endpoint: each share is within a quarter of the fair 10,000 (ring variance ~8% per endpoint).
        assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(7_500, 12_500));

        List<Endpoint> weighted = TestClusters.endpoints(1, 3);
        Map<Endpoint, Integer> byWeight = countKeys(Balancer.consistentHash(), weighted, 100_000);
        assertThat(byWeight.get(weighted.get(1))).isBetween(70_000, 80_000);
    }

    @Test
    void consistentHash_withoutKey_spreadsRandomly() {
        List<Endpoint> eps = TestClusters.endpoints(1, 1, 1);
        assertThat(count(Balancer.consistentHash(), eps, 3000)).hasSize(3);
    }

    @Test
    void consistentHash_pickOther_isTheNextEndpointOnTheRingForThatKey() {
        List<Endpoint> eps = TestClusters.endpoints(1, 1, 1, 1, 1);
        Balancer<Endpoint> balancer = Balancer.consistentHash();
        for (int k = 0; k < 1000; k++) {
            String key = "k" + k;
            Endpoint first = balancer.pick(eps, key);
            Endpoint retry = balancer.pickOther(eps, key, first);
            List<Endpoint> without = eps.stream().filter(e -> !e.equals(first)).toList();
            assertThat(retry).isNotEqualTo(first).isEqualTo(Balancer.<Endpoint>consistentHash().pick(without, key));
        }
    }

    @Test
    void everyBalancer_pickOther_avoidsWhenAnotherIsAvailable() {
        List<Endpoint> eps = TestClusters.endpoints(1, 2, 3);
        for (BalancerKind kind : EnumSet.allOf(BalancerKind.class)) {
            Balancer<Endpoint> balancer = Balancer.of(kind);
            for (int i = 0; i < 300; i++) {
                Endpoint avoid = eps.get(i % 3);
                String key = i % 2 == 0 ? "" : "key" + i;
                assertThat(balancer.pickOther(eps, key, avoid)).as(kind.name()).isNotEqualTo(avoid);
            }
            assertThat(balancer.pickOther(List.of(eps.get(0)), "k", eps.get(0))).isEqualTo(eps.get(0));
        }
    }

    private static void hold(Endpoint e, int requests) {
        for (int i = 0; i < requests; i++) {
            e.onRequestStart();
        }
    }

    private static Map<Endpoint, Integer> count(Balancer<Endpoint> balancer, List<Endpoint> eps, int picks) {
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(balancer.pick(eps, ""), 1, Integer::sum);
        }
        return counts;
    }

    private static Map<Endpoint, Integer> countKeys(Balancer<Endpoint> balancer, List<Endpoint> eps, int keys) {
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < keys; i++) {
            counts.merge(balancer.pick(eps, "key-" + i), 1, Integer::sum);
        }
        return counts;
    }
}
