package io.palisade.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConcurrencyLimiterTest {
    private final ConcurrencyLimiter limiter = ConcurrencyLimiter.create();

    @Test
    void consumerAtItsCap_isRefused_whileOthersAndOtherRoutesAreNot() {
        List<ConcurrencyLimiter.Permit> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(limiter.tryAcquire("orders", "acme", 3).orElseThrow());
        }
        assertThat(limiter.tryAcquire("orders", "acme", 3)).isEmpty();
        assertThat(limiter.tryAcquire("orders", "globex", 3)).isPresent();
        assertThat(limiter.tryAcquire("users", "acme", 3)).isPresent();
        assertThat(limiter.rejections()).isEqualTo(1);
        assertThat(ConcurrencyLimiter.REJECTION.status().code()).isEqualTo(429);

        held.get(0).release();
        assertThat(limiter.tryAcquire("orders", "acme", 3)).isPresent();
    }

    @Test
    void release_isIdempotent() {
        ConcurrencyLimiter.Permit a = limiter.tryAcquire("orders", "acme", 2).orElseThrow();
        limiter.tryAcquire("orders", "acme", 2).orElseThrow();
        a.release();
        a.release();
        a.release();
        assertThat(limiter.inFlight("orders", "acme")).isEqualTo(1);
        assertThat(limiter.tryAcquire("orders", "acme", 2)).isPresent();
        assertThat(limiter.tryAcquire("orders", "acme", 2)).isEmpty();
    }

    @Test
    void countersOfManyConsumers_areRemovedWhenTheirRequestsEnd() {
        List<ConcurrencyLimiter.Permit> held = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            held.add(limiter.tryAcquire("orders", "consumer-" + i, 1).orElseThrow());
        }
        assertThat(limiter.trackedConsumers()).isEqualTo(10_000);
        held.forEach(ConcurrencyLimiter.Permit::release);
        assertThat(limiter.trackedConsumers()).isZero();
    }

    @Test
    void threadsRacingOnOneConsumer_neverExceedTheCap_andLeaveNothingBehind() throws Exception {
        int threads = 4;
        int cap = 5;
        AtomicInteger current = new AtomicInteger();
        AtomicInteger highest = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> admitted = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                admitted.add(pool.submit(() -> {
                    start.await();
                    int n = 0;
                    for (int i = 0; i < 20_000; i++) {
                        Optional<ConcurrencyLimiter.Permit> p = limiter.tryAcquire("orders", "acme", cap);
                        if (p.isPresent()) {
                            n++;
                            highest.accumulateAndGet(current.incrementAndGet(), Math::max);
                            current.decrementAndGet();
                            p.get().release();
                            p.get().release();
                        }
                    }
                    return n;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : admitted) {
                total += f.get(1, TimeUnit.MINUTES);
            }
            assertThat(total).isPositive();
            assertThat(highest.get()).isLessThanOrEqualTo(cap);
            assertThat(limiter.inFlight("orders", "acme")).isZero();
            assertThat(limiter.trackedConsumers()).isZero();
        } finally {
            pool.shutdownNow();
        }
    }
}
