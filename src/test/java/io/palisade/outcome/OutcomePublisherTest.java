package io.palisade.outcome;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.palisade.error.ErrorKind;
import io.palisade.testing.FakeTicker;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class OutcomePublisherTest {
    private static Outcome outcome(String requestId) {
        return new Outcome(requestId, "v1", 0, "127.0.0.1", "GET", "/a", "", "r", "c", "127.0.0.1:1", "", 200,
                Outcome.Ending.ANSWERED, Optional.empty(), 0, 100, 1_000, 500, 1, "");
    }

    @Test
    void subscribers_getEveryOutcome_inTheOrderTheySubscribed() {
        OutcomePublisher publisher = OutcomePublisher.create();
        List<String> seen = new ArrayList<>();
        publisher.subscribe(o -> seen.add("first " + o.requestId()));
        publisher.subscribe(o -> seen.add("second " + o.requestId()));
        publisher.subscribe(o -> seen.add("third " + o.requestId()));

        publisher.publish(outcome("a"));
        publisher.publish(outcome("b"));

        assertThat(seen).containsExactly("first a", "second a", "third a", "first b", "second b", "third b");
    }

    @Test
    void throwingSubscriber_isCaughtAndCounted_andTheOthersStillRun() {
        FakeTicker ticker = new FakeTicker();
        OutcomePublisher publisher = OutcomePublisher.create(ticker::read);
        List<String> seen = new ArrayList<>();
        publisher.subscribe(o -> seen.add("before " + o.requestId()));
        publisher.subscribe(o -> {
            throw new IllegalStateException("subscriber bug");
        });
        publisher.subscribe(o -> {
            throw new AssertionError("an Error is a subscriber's failure too");
        });
        publisher.subscribe(o -> seen.add("after " + o.requestId()));

        for (int i = 0; i < 3; i++) {
            publisher.publish(outcome("r" + i)); // never throws at the publisher
            ticker.advanceNanos(1_000_000_000L);
        }

        assertThat(seen).containsExactly("before r0", "after r0", "before r1", "after r1", "before r2", "after r2");
        assertThat(publisher.failures()).isEqualTo(6);
    }

    @Test
    void aVirtualMachineError_isNotSwallowed() {
        OutcomePublisher publisher = OutcomePublisher.create();
        publisher.subscribe(o -> {
            throw new OutOfMemoryError("test");
        });
        assertThatThrownBy(() -> publisher.publish(outcome("a"))).isInstanceOf(OutOfMemoryError.class);
    }

    @Test
    void closedSubscription_getsNothingMore_andClosingTwiceRemovesNoOtherSubscription() {
        OutcomePublisher publisher = OutcomePublisher.create();
        List<String> seen = new ArrayList<>();
        OutcomeSubscriber twice = o -> seen.add("twice " + o.requestId());
        OutcomePublisher.Subscription first = publisher.subscribe(twice);
        publisher.subscribe(twice);
        publisher.subscribe(o -> seen.add("other " + o.requestId()));

        publisher.publish(outcome("a"));
        first.close();
        first.close();
        publisher.publish(outcome("b"));

        assertThat(seen).containsExactly("twice a", "twice a", "other a", "twice b", "other b");
    }

    @Test
    void concurrentPublishers_loseNoOutcome_andEachSubscriberSeesEachOnce() throws Exception {
        OutcomePublisher publisher = OutcomePublisher.create();
        int threads = 4;
        int perThread = 20_000;
        LongAdder counted = new LongAdder();
        java.util.Set<String> ids = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        publisher.subscribe(o -> counted.increment());
        publisher.subscribe(o -> {
            throw new IllegalStateException("in the middle");
        });
        publisher.subscribe(o -> {
            if (!ids.add(o.requestId())) {
                duplicates.incrementAndGet();
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        publisher.publish(outcome(thread + "-" + i));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(counted.sum()).isEqualTo((long) threads * perThread);
        assertThat(ids).hasSize(threads * perThread);
        assertThat(duplicates).hasValue(0);
        assertThat(publisher.failures()).isEqualTo((long) threads * perThread);
    }

    @Test
    void subscribingWhilePublishing_neverDisturbsAPublishInProgress() {
        OutcomePublisher publisher = OutcomePublisher.create();
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        publisher.subscribe(o -> {
            seen.add("first " + o.requestId());
            publisher.subscribe(p -> seen.add("late " + p.requestId()));
        });
        publisher.publish(outcome("a"));
        publisher.publish(outcome("b"));
        assertThat(seen).containsExactly("first a", "first b", "late b");
    }

    @Test
    void publishing_allocatesNothing() {
        OutcomePublisher publisher = OutcomePublisher.create();
        LongAdder a = new LongAdder();
        LongAdder b = new LongAdder();
        publisher.subscribe(o -> a.increment());
        publisher.subscribe(o -> b.add(o.bytesOut()));
        Outcome o = outcome("a");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) {
            publisher.publish(o); // warm up, so the measured loop runs compiled
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            publisher.publish(o);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated by 100,000 publishes").isLessThan(100_000);
        assertThat(a.sum()).isEqualTo(120_000);
    }

    @Test
    void errorOf_isTheSameOptionalEveryTime() {
        for (ErrorKind kind : ErrorKind.values()) {
            assertThat(Outcome.errorOf(kind)).containsSame(kind).isSameAs(Outcome.errorOf(kind));
        }
    }
}
