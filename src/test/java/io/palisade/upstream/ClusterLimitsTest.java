package io.palisade.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.FakeTicker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class ClusterLimitsTest {
    private static final int THREADS = 6;
    private static final int ROUNDS = 20_000;

    private final Cluster cluster = TestClusters.standalone(
            TestClusters.config("limited").endpoint("10.0.0.1", 80).limits(4, 3, 5).retryBudget(0.2).build(),
            new FakeTicker());

    @Test
    void requests_areCappedAtMaxRequestsAndRefusalsCounted() {
        for (int i = 0; i < 5; i++) {
            assertThat(cluster.tryAcquireRequest()).isTrue();
        }
        assertThat(cluster.tryAcquireRequest()).isFalse();
        assertThat(cluster.tryAcquireRequest()).isFalse();
        assertThat(cluster.rejected(Cluster.Reason.MAX_REQUESTS)).isEqualTo(2);
        cluster.releaseRequest();
        assertThat(cluster.tryAcquireRequest()).isTrue();
        assertThat(cluster.activeRequests()).isEqualTo(5);
        assertThat(Cluster.Reason.MAX_REQUESTS.errorKind().status().code()).isEqualTo(503);
        assertThat(Cluster.Reason.RETRY_BUDGET.label()).isEqualTo("retry_budget");
    }

    @Test
    void pendingAndConnections_haveTheirOwnCaps() {
        for (int i = 0; i < 3; i++) {
            assertThat(cluster.tryAcquirePending()).isTrue();
        }
        assertThat(cluster.tryAcquirePending()).isFalse();
        for (int i = 0; i < 4; i++) {
            assertThat(cluster.tryAcquireConnection()).isTrue();
        }
        assertThat(cluster.tryAcquireConnection()).isFalse();
        assertThat(cluster.rejected(Cluster.Reason.MAX_PENDING)).isEqualTo(1);
        assertThat(cluster.rejected(Cluster.Reason.MAX_CONNECTIONS)).isEqualTo(1);
        assertThat(cluster.rejected(Cluster.Reason.MAX_REQUESTS)).isZero();
    }

    @Test
    void aConnectionSlotGivenBack_wakesTheOldestWaiterOnce_andACancelledWaiterNever() {
        List<String> woken = new ArrayList<>();
        Runnable first = () -> woken.add("first");
        Runnable cancelled = () -> woken.add("cancelled");
        Runnable second = () -> woken.add("second");
        for (int i = 0; i < 4; i++) {
            assertThat(cluster.tryAcquireConnection()).isTrue();
        }
        assertThat(cluster.hasConnectionWaiters()).isFalse();
        cluster.onConnectionFreed(first);
        cluster.onConnectionFreed(cancelled);
        cluster.onConnectionFreed(second);
        cluster.cancelConnectionWait(cancelled);
        assertThat(cluster.hasConnectionWaiters()).isTrue();

        cluster.releaseConnection();
        assertThat(woken).containsExactly("first");
        cluster.releaseConnection();
        cluster.releaseConnection();
        assertThat(woken).containsExactly("first", "second");
        assertThat(cluster.hasConnectionWaiters()).isFalse();
        assertThat(cluster.connections()).isEqualTo(1);
    }

    @Test
    void extraReleases_neverOpenTheLimitBeyondItsMaximum() {
        cluster.releaseRequest();
        cluster.releaseRequest();
        assertThat(cluster.activeRequests()).isZero();
        int granted = 0;
        while (cluster.tryAcquireRequest()) {
            granted++;
        }
        assertThat(granted).isEqualTo(5);
    }

    @Test
    void retryBudget_hasAFloorOfThreeThenGrowsWithRequestsInFlight() {
        Cluster roomy = TestClusters.standalone(
                TestClusters.config("roomy").endpoint("10.0.0.1", 80).limits(1000, 1000, 1000).retryBudget(0.2)
                        .build(), new FakeTicker());
        assertThat(acquireAll(roomy::tryAcquireRetry)).isEqualTo(Cluster.MIN_RETRY_CONCURRENCY);
        assertThat(roomy.rejected(Cluster.Reason.RETRY_BUDGET)).isEqualTo(1);
        for (int i = 0; i < 3; i++) {
            roomy.releaseRetry();
        }

        for (int i = 0; i < 100; i++) {
            roomy.tryAcquireRequest();
        }
        assertThat(acquireAll(roomy::tryAcquireRetry)).isEqualTo(20);
        assertThat(roomy.retriesInFlight()).isEqualTo(20);
    }

    @Test
    void concurrentAcquireAndRelease_neverExceedTheLimitAndCountEveryRefusal() throws Exception {
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger maxHolders = new AtomicInteger();
        AtomicLong refusals = new AtomicLong();
        run(() -> {
            for (int i = 0; i < ROUNDS; i++) {
                if (cluster.tryAcquireRequest()) {
                    int now = holders.incrementAndGet();
                    maxHolders.accumulateAndGet(now, Math::max);
                    holders.decrementAndGet();
                    cluster.releaseRequest();
                } else {
                    refusals.incrementAndGet();
                }
            }
        });
        assertThat(maxHolders.get()).isBetween(1, 5);
        assertThat(cluster.activeRequests()).isZero();
        assertThat(cluster.rejected(Cluster.Reason.MAX_REQUESTS)).isEqualTo(refusals.get());
    }

    @Test
    void concurrentRetries_stayWithinTheBudget() throws Exception {
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger maxHolders = new AtomicInteger();
        run(() -> {
            for (int i = 0; i < ROUNDS; i++) {
                if (cluster.tryAcquireRetry()) {
                    maxHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
                    holders.decrementAndGet();
                    cluster.releaseRetry();
                }
            }
        });
        assertThat(maxHolders.get()).isBetween(1, Cluster.MIN_RETRY_CONCURRENCY);
        assertThat(cluster.retriesInFlight()).isZero();
    }

    @Test
    void concurrentEndpointHooks_balanceOut() throws Exception {
        Endpoint e = cluster.endpoints().get(0);
        run(() -> {
            for (int i = 0; i < ROUNDS; i++) {
                e.onRequestStart();
                e.onSuccess();
                e.onRequestEnd();
            }
        });
        assertThat(e.activeRequests()).isZero();
        assertThat(e.consecutiveFailures()).isZero();
    }

    private static int acquireAll(BooleanSupplier acquire) {
        int n = 0;
        while (acquire.getAsBoolean()) {
            n++;
        }
        return n;
    }

    private static void run(Runnable body) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    body.run();
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(errors).isEmpty();
    }
}
