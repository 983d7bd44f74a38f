package io.palisade.drills;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * A bounded closed-loop load generator on loopback: {@code workers} threads each send one request, wait for the
 * answer, and send the next, until stopped or {@code maxDuration} passes. Records every outcome with its send time so
 * a drill can cut the run into phases.
 */
final class Load implements AutoCloseable {
    /** One request's outcome: when it was sent (ms since start), its status (0 = I/O error), its latency. */
    record Sample(long sentAtMs, int status, long latencyMicros, String upstream) {}

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final long start = System.nanoTime();
    private final LongAdder sent = new LongAdder();

    /** Starts {@code workers} loops; {@code request} builds each worker's n-th request. */
    Load(int workers, Duration maxDuration, Function<Long, HttpRequest> request) {
        long deadline = start + maxDuration.toNanos();
        for (int w = 0; w < workers; w++) {
            Thread t = Thread.ofVirtual().unstarted(() -> {
                long n = 0;
                while (!stop.get() && System.nanoTime() < deadline) {
                    HttpRequest req = request.apply(n++);
                    long t0 = System.nanoTime();
                    int status;
                    String upstream = null;
                    try {
                        HttpResponse<Void> r = client.send(req, HttpResponse.BodyHandlers.discarding());
                        status = r.statusCode();
                        upstream = r.headers().firstValue("x-upstream").orElse(null);
                    } catch (IOException e) {
                        status = 0;
                    } catch (InterruptedException e) {
                        return;
                    }
                    sent.increment();
                    samples.add(new Sample((t0 - start) / 1_000_000, status, (System.nanoTime() - t0) / 1000,
                            upstream));
                }
            });
            threads.add(t);
            t.start();
        }
    }

    static HttpRequest get(String url, Duration timeout, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    /** Waits until {@code n} requests have been answered (or the run's time bound passes), then stops the load. */
    Load runUntil(long n) throws InterruptedException {
        while (sent.sum() < n && threads.stream().anyMatch(Thread::isAlive)) {
            Thread.sleep(20); // polling the workers' progress
        }
        stop();
        return this;
    }

    long elapsedMs() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    long sent() {
        return sent.sum();
    }

    List<Sample> samples() {
        return List.copyOf(samples);
    }

    /** Stops the workers and waits for their last requests. */
    void stop() {
        stop.set(true);
        try {
            for (Thread t : threads) {
                t.join(Duration.ofSeconds(30));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }

    static Map<Integer, Long> statusCounts(List<Sample> s) {
        Map<Integer, Long> m = new ConcurrentHashMap<>();
        s.forEach(x -> m.merge(x.status(), 1L, Long::sum));
        return new java.util.TreeMap<>(m);
    }

    /** The q-quantile of latency in milliseconds. */
    static double percentileMs(List<Sample> s, double q) {
        if (s.isEmpty()) {
            return 0;
        }
        long[] l = s.stream().mapToLong(Sample::latencyMicros).toArray();
        Arrays.sort(l);
        return l[Math.min(l.length - 1, (int) Math.ceil(q * l.length) - 1)] / 1000.0;
    }
}
