package io.palisade.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.function.LongFunction;

/**
 * A bounded load at a fixed offered rate on loopback, for measuring limits: {@code workers} threads share a schedule of
 * one request every {@code 1/rate} seconds (worker {@code w} sends requests {@code w, w + workers, ...}); a worker that
 * falls behind sends at once until it is back on schedule, so the offered rate holds as long as the server keeps up.
 * Stops by itself after {@code maxDuration} (of schedule and of wall time) or {@code maxRequests}. Every outcome is kept with its send time. Each
 * worker has its own keep-alive {@link LoopbackHttp} connection.
 *
 * <pre>{@code
 * try (PacedLoad load = PacedLoad.start(port, null, 4, 500, Duration.ofSeconds(10), 5_000,
 *         n -> new PacedLoad.Get("/orders/" + n))) {
 *     List<PacedLoad.Sample> s = load.await().samples();
 * }
 * }</pre>
 */
public final class PacedLoad implements AutoCloseable {
    /**
     * One request: when it was sent (ns since the load started), its status (0 = I/O error or timeout), how long the
     * answer took, and the {@code RateLimit} header if any.
     */
    public record Sample(long sentNanos, int status, long latencyNanos, String rateLimit) {}

    /** One request to send: a path and header names and values. */
    public record Get(String path, String... headers) {}

    private final LongAdder connects = new LongAdder();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final long start = System.nanoTime();

    private PacedLoad(int port, IntFunction<InetAddress> source, int workers, double perSecond, Duration maxDuration,
                      long maxRequests, LongFunction<Get> request, boolean catchUp) {
        long intervalNanos = (long) (1e9 / perSecond);
        long deadline = start + maxDuration.toNanos();
        for (int w = 0; w < workers; w++) {
            int worker = w;
            Thread t = Thread.ofPlatform().daemon().name("paced-load-" + w).unstarted(() -> {
                try (LoopbackHttp http = new LoopbackHttp(port, source.apply(worker), 10_000)) {
                    for (long n = worker; n < maxRequests && !stop.get(); n += workers) {
                        long due = start + n * intervalNanos;
                        long now = System.nanoTime();
                        if (due - deadline >= 0 || now - deadline >= 0) {
                            break;
                        }
                        if (due > now) {
                            LockSupport.parkNanos(due - now);
                        } else if (!catchUp && now - due > intervalNanos * workers) {
                            // A steady client: the slots missed while it was stalled are skipped, not sent in a burst.
                            long behind = (now - due) / (intervalNanos * workers);
                            n += behind * workers;
                            due = start + n * intervalNanos;
                            if (n >= maxRequests || due - deadline >= 0) {
                                break;
                            }
                            LockSupport.parkNanos(Math.max(0, due - System.nanoTime()));
                        }
                        if (stop.get()) {
                            break;
                        }
                        send(http, request.apply(n));
                    }
                    connects.add(http.connects());
                }
            });
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    /**
     * Starts the load against {@code 127.0.0.1:port}.
     *
     * @param source the client address of every connection, or null for the default
     */
    public static PacedLoad start(int port, InetAddress source, int workers, double perSecond, Duration maxDuration,
                                  long maxRequests, LongFunction<Get> request) {
        return new PacedLoad(port, w -> source, workers, perSecond, maxDuration, maxRequests, request, true);
    }

    /**
     * Like {@link #start(int, InetAddress, int, double, Duration, long, LongFunction)}, but a well-behaved client: a
     * worker that falls behind (descheduled, or waiting on a slow answer) skips the slots it missed instead of sending
     * them at once, so the client never bursts above its rate.
     */
    public static PacedLoad steady(int port, InetAddress source, int workers, double perSecond, Duration maxDuration,
                                   long maxRequests, LongFunction<Get> request) {
        return new PacedLoad(port, w -> source, workers, perSecond, maxDuration, maxRequests, request, false);
    }

    /** Like {@link #start(int, InetAddress, int, double, Duration, long, LongFunction)}, a source per worker. */
    public static PacedLoad startFromSources(int port, IntFunction<InetAddress> sourceOfWorker, int workers,
                                             double perSecond, Duration maxDuration, long maxRequests,
                                             LongFunction<Get> request) {
        return new PacedLoad(port, sourceOfWorker, workers, perSecond, maxDuration, maxRequests, request, true);
    }

    private void send(LoopbackHttp http, Get req) {
        long t0 = System.nanoTime();
        int status;
        String rateLimit = null;
        try {
            LoopbackHttp.Response r = http.get(req.path(), req.headers());
            status = r.status();
            rateLimit = r.header("ratelimit");
        } catch (IOException e) {
            status = 0;
        }
        samples.add(new Sample(t0 - start, status, System.nanoTime() - t0, rateLimit));
    }

    /** Connections the finished workers opened (keep-alive reuse makes this small unless the server closes them). */
    public long connects() {
        return connects.sum();
    }

    /** The {@link System#nanoTime()} the load started at: sample times are relative to it. */
    public long startNanos() {
        return start;
    }

    /** Nanoseconds since the load started. */
    public long elapsedNanos() {
        return System.nanoTime() - start;
    }

    /** Waits until every worker has finished its schedule (bounded by the load's own limits). */
    public PacedLoad await() {
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop.set(true);
                return this;
            }
        }
        return this;
    }

    /** Stops sending (requests in flight finish) and waits for the workers. */
    public PacedLoad stop() {
        stop.set(true);
        return await();
    }

    /** The outcomes so far, in send order. */
    public List<Sample> samples() {
        List<Sample> out = new ArrayList<>(samples);
        out.sort(Comparator.comparingLong(Sample::sentNanos));
        return out;
    }

    @Override
    public void close() {
        stop();
    }

    /** Requests per status. */
    public static Map<Integer, Long> statusCounts(List<Sample> samples) {
        Map<Integer, Long> out = new TreeMap<>();
        samples.forEach(s -> out.merge(s.status(), 1L, Long::sum));
        return out;
    }

    /** The samples sent in {@code [fromNanos, toNanos)}. */
    public static List<Sample> between(List<Sample> samples, long fromNanos, long toNanos) {
        return samples.stream().filter(s -> s.sentNanos() >= fromNanos && s.sentNanos() < toNanos).toList();
    }

    /** The longest time between two consecutive sends (all workers together): a stall of the client or server. */
    public static long largestGapNanos(List<Sample> sortedBySendTime) {
        long gap = 0;
        for (int i = 1; i < sortedBySendTime.size(); i++) {
            gap = Math.max(gap, sortedBySendTime.get(i).sentNanos() - sortedBySendTime.get(i - 1).sentNanos());
        }
        return gap;
    }

    /**
     * How many of these requests an exact GCRA limiter ({@code rate} per second, {@code burst}) admits, given the
     * times they were sent: the reference when the offered load had gaps, since a bucket refills only up to its burst.
     */
    public static long gcraAdmits(List<Sample> sortedBySendTime, double rate, long burst) {
        long interval = (long) (1e9 / rate);
        long tolerance = burst * interval;
        long tat = Long.MIN_VALUE;
        long admitted = 0;
        for (Sample s : sortedBySendTime) {
            long next = Math.max(tat, s.sentNanos()) + interval;
            if (next - s.sentNanos() <= tolerance) {
                tat = next;
                admitted++;
            }
        }
        return admitted;
    }

    /** The q-quantile of latency in milliseconds. */
    public static double percentileMs(List<Sample> samples, double q) {
        if (samples.isEmpty()) {
            return 0;
        }
        long[] l = samples.stream().mapToLong(Sample::latencyNanos).sorted().toArray();
        return l[Math.max(0, Math.min(l.length - 1, (int) Math.ceil(q * l.length) - 1))] / 1e6;
    }

    /** Seconds from the first request actually sent to the last one. */
    public static double spanSeconds(List<Sample> samples) {
        if (samples.size() < 2) {
            return 0;
        }
        long first = samples.stream().mapToLong(Sample::sentNanos).min().orElseThrow();
        long last = samples.stream().mapToLong(Sample::sentNanos).max().orElseThrow();
        return (last - first) / 1e9;
    }
}
