package io.palisade.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HealthTrackerTest {
    private static final int HEALTHY_AFTER = 2;
    private static final int UNHEALTHY_AFTER = 3;

    private final HealthTracker tracker = new HealthTracker();

    @Test
    void newTracker_isUnknownAndAllowsTraffic() {
        assertThat(tracker.state()).isEqualTo(HealthState.UNKNOWN);
        assertThat(tracker.state().allowsTraffic()).isTrue();
    }

    @Test
    void firstPass_makesUnknownHealthyAtOnce() {
        assertThat(pass()).isEqualTo(HealthTransition.UNKNOWN_TO_HEALTHY);
        assertThat(tracker.state()).isEqualTo(HealthState.HEALTHY);
    }

    @Test
    void firstFailure_makesUnknownUnhealthyAtOnce() {
        assertThat(fail()).isEqualTo(HealthTransition.UNKNOWN_TO_UNHEALTHY);
        assertThat(tracker.state().allowsTraffic()).isFalse();
    }

    @Test
    void healthy_becomesUnhealthyOnlyAfterUnhealthyAfterFailuresInARow() {
        pass();
        assertThat(fail()).isNull();
        assertThat(fail()).isNull();
        assertThat(pass()).isNull(); // breaks the run
        assertThat(fail()).isNull();
        assertThat(fail()).isNull();
        assertThat(tracker.consecutiveFailures()).isEqualTo(2);
        assertThat(fail()).isEqualTo(HealthTransition.HEALTHY_TO_UNHEALTHY);
    }

    @Test
    void unhealthy_becomesHealthyOnlyAfterHealthyAfterPassesInARow() {
        fail();
        assertThat(pass()).isNull();
        assertThat(fail()).isNull(); // breaks the run
        assertThat(pass()).isNull();
        assertThat(pass()).isEqualTo(HealthTransition.UNHEALTHY_TO_HEALTHY);
        assertThat(tracker.state()).isEqualTo(HealthState.HEALTHY);
    }

    @Test
    void reset_returnsToUnknownAndForgetsCounts() {
        fail();
        assertThat(tracker.reset()).isEqualTo(HealthState.UNHEALTHY);
        assertThat(tracker.state()).isEqualTo(HealthState.UNKNOWN);
        assertThat(tracker.consecutiveFailures()).isZero();
    }

    @Test
    void illegalTransitions_throwIllegalStateException() {
        for (HealthState from : HealthState.values()) {
            assertThatThrownBy(() -> HealthTransition.between(from, HealthState.UNKNOWN))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> HealthTransition.between(from, from))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(from.name());
        }
        assertThat(HealthTransition.between(HealthState.HEALTHY, HealthState.UNHEALTHY))
                .isEqualTo(HealthTransition.HEALTHY_TO_UNHEALTHY);
    }

    @Test
    void concurrentFailures_reportExactlyOneTransition() throws Exception {
        pass();
        int threads = 4;
        AtomicInteger transitions = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                awaitQuietly(start);
                for (int i = 0; i < 1000; i++) {
                    tracker.record(false, HEALTHY_AFTER, UNHEALTHY_AFTER).ifPresent(x -> transitions.incrementAndGet());
                }
            });
            worker.start();
            workers.add(worker);
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        assertThat(transitions).hasValue(1);
        assertThat(tracker.consecutiveFailures()).isEqualTo(threads * 1000);
    }

    private HealthTransition pass() {
        return tracker.record(true, HEALTHY_AFTER, UNHEALTHY_AFTER).orElse(null);
    }

    private HealthTransition fail() {
        return tracker.record(false, HEALTHY_AFTER, UNHEALTHY_AFTER).orElse(null);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
