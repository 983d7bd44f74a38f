package io.palisade.bench;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.palisade.route.RouteConfig;
import io.palisade.ratelimit.LimitDecision;
import io.palisade.ratelimit.LimitKeys;
import io.palisade.ratelimit.Phase;
import io.palisade.ratelimit.RateLimitSettings;
import io.palisade.ratelimit.RateLimiter;
import io.palisade.time.Ticker;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The local rate-limit check of one request ({@link RateLimiter#checkNow}) with the load benchmark's rule
 * ({@code key: consumer, rate: 1000000/s, burst: 1000000}): one hot consumer, or 10,000 consumers in turn (key table
 * lookups over a larger table); on one thread and on two at once (two event loops hitting the same bucket).
 *
 * <p>The limiter's ticker runs 64 times faster than real time: a benchmark thread asks millions of times a second,
 * above the largest rate a rule may have (1,000,000/s), and a bucket that ran dry would measure the rejection path.
 * The price is a burst window of 1 s / 64: a thread descheduled for longer than that between reading the ticker and
 * its compare-and-set sees a stale "now" and is refused. Refusals are counted and reported at the end of each
 * iteration; above 1 % the iteration fails.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LimiterBench {
    @Param({"1", "10000"})
    public int consumers;

    private RateLimiter limiter;
    private RouteConfig route;
    private LimitKeys[] keys;

    @State(Scope.Thread)
    public static class Cursor {
        int next;
        long checks;
        long refused;

        @TearDown(Level.Iteration)
        public void report() {
            if (refused > 0) {
                System.out.printf("(%d of %d checks refused)%n", refused, checks);
            }
            if (refused * 100 > checks) {
                throw new IllegalStateException("the bucket ran dry: the benchmark measured rejections");
            }
            checks = 0;
            refused = 0;
        }
    }

    @Setup(Level.Trial)
    public void setup() {
        route = BenchConfigs.parse("""
                clusters: { backend: { endpoints: [ "127.0.0.1:18000" ] } }
                routes:
                  - match: { path_prefix: / }
                    cluster: backend
                    rate_limits: [ { key: consumer, rate: 1000000/s, burst: 1000000 } ]
                """).routes().get(0);
        Ticker fast = () -> System.nanoTime() << 6;
        limiter = RateLimiter.local(RateLimitSettings.defaults(), fast);
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.set("Host", "127.0.0.1:18080");
        keys = new LimitKeys[consumers];
        for (int i = 0; i < consumers; i++) {
            keys[i] = LimitKeys.of("127.0.0.1", "consumer-" + i, "/small", headers);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        limiter.close();
    }

    @Benchmark
    public Optional<LimitDecision> checkNow(Cursor cursor) {
        return check(cursor);
    }

    @Benchmark
    @Threads(2)
    public Optional<LimitDecision> checkNow_2threads(Cursor cursor) {
        return check(cursor);
    }

    private Optional<LimitDecision> check(Cursor cursor) {
        int i = cursor.next;
        cursor.next = i + 1 == keys.length ? 0 : i + 1;
        Optional<LimitDecision> d = limiter.checkNow(route.id(), route.limits(), Phase.AFTER_AUTH, keys[i]);
        cursor.checks++;
        if (d.isPresent() && !d.get().allowed()) {
            cursor.refused++;
        }
        return d;
    }
}
