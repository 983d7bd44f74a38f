package io.palisade.ratelimit;

import io.netty.util.concurrent.FastThreadLocal;
import io.palisade.ratelimit.RateLimitSettings.RedisSettings;
import io.palisade.ratelimit.RouteLimits.Binding;
import io.palisade.ratelimit.RouteLimits.Bound;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** See {@link RateLimiter}. */
final class DefaultRateLimiter implements RateLimiter {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultRateLimiter.class);
    private static final FastThreadLocal<Tally> LOCAL_TALLY = new FastThreadLocal<>() {
        @Override
        protected Tally initialValue() {
            return new Tally(Optional.empty(), 1);
        }
    };

    private final Ticker ticker;
    private final Clock clock;
    private final boolean redisAllowed;
    private final KeyTable table;
    private final ConcurrentHashMap<String, LongAdder> rejections = new ConcurrentHashMap<>();
    private final LongAdder redisErrors = new LongAdder();
    private final LongAdder fallbackActivations = new LongAdder();
    private final LongAdder fallbackDecisions = new LongAdder();
    private final RateLimitedLog unexpected;
    private final Object updateLock = new Object();
    private volatile RateLimitSettings settings;
    /** Null when global rules are counted locally (store local, or a limiter built by {@link RateLimiter#local}). */
    private volatile RedisStore redis;

    DefaultRateLimiter(RateLimitSettings settings, Ticker ticker, Clock clock, boolean redisAllowed) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.unexpected = RateLimitedLog.every(Duration.ofSeconds(10), LOG, ticker);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.redisAllowed = redisAllowed;
        this.table = new KeyTable(settings.maxKeys(), ticker);
        this.redis = wantsRedis(settings) ? newStore(settings.redis().orElseThrow()) : null;
    }

    private boolean wantsRedis(RateLimitSettings s) {
        return redisAllowed && s.store() == RateLimitSettings.Store.REDIS && s.redis().isPresent();
    }

    private RedisStore newStore(RedisSettings s) {
        return new RedisStore(s, ticker, clock, redisErrors, fallbackActivations);
    }

    @Override
    public Optional<LimitDecision> checkNow(String routeId, RouteLimits limits, Phase phase, LimitKeys keys) {
        return Optional.ofNullable(decideNow(routeId, limits, phase, keys));
    }

    /** {@link #checkNow}'s decision, or null where it answers empty. */
    LimitDecision decideNow(String routeId, RouteLimits limits, Phase phase, LimitKeys keys) {
        Bound bound = limits.bind(routeId);
        return decideWithoutRedis(bound, bound.rules(phase), phase, limits, keys, redis, ticker.read());
    }

    /**
     * The decision when no Redis call is needed (no rules, only local rules, no Redis, or Redis in fallback), or
     * null when the global rules must go to Redis.
     */
    private LimitDecision decideWithoutRedis(Bound bound, Binding[] rules, Phase phase, RouteLimits limits,
                                             LimitKeys keys, RedisStore store, long now) {
        if (rules.length == 0) {
            return bound.allowedWithoutRules;
        }
        if (store == null || !bound.hasGlobal(phase)) {
            return decideLocally(bound, rules, limits, keys, now, false);
        }
        if (store.available()) {
            return null;
        }
        store.maybeProbe(now);
        fallbackDecisions.increment();
        return decideLocally(bound, rules, limits, keys, now, true);
    }

    @Override
    public CompletionStage<LimitDecision> check(String routeId, RouteLimits limits, Phase phase, LimitKeys keys) {
        Bound bound = limits.bind(routeId);
        Binding[] rules = bound.rules(phase);
        RedisStore store = redis;
        long now = ticker.read();
        LimitDecision here = decideWithoutRedis(bound, rules, phase, limits, keys, store, now);
        if (here != null) {
            return CompletableFuture.completedFuture(here);
        }
        Tally tally = new Tally(limits.policyHeader(), rules.length);
        int globals = 0;
        for (Binding b : rules) {
            if (b.rule.scope() == Scope.GLOBAL) {
                globals++;
            } else {
                takeLocal(tally, b, bound.routeId, keys, now, false);
            }
        }
        if (tally.rejected()) {
            return CompletableFuture.completedFuture(finish(tally));
        }
        Binding[] global = new Binding[globals];
        String[] redisKeys = new String[globals];
        String[] args = new String[1 + 2 * globals];
        args[0] = Long.toString(store.micros(now));
        int g = 0;
        for (Binding b : rules) {
            if (b.rule.scope() == Scope.GLOBAL) {
                global[g] = b;
                redisKeys[g] = LimitKey.of(b.bucketId, b.rule, b.rule.toleranceNanos(), bound.routeId, keys).redisKey();
                args[1 + 2 * g] = b.intervalArg;
                args[2 + 2 * g] = b.toleranceArg;
                g++;
            }
        }
        CompletionStage<List<Object>> reply;
        try {
            reply = store.eval(redisKeys, args);
        } catch (RuntimeException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        return reply.handle((answer, error) -> {
            try {
                Throwable failure = error;
                if (failure == null) {
                    try {
                        long[] ahead = parseReply(answer, global.length);
                        applyRedis(tally, global, ahead);
                        return finish(tally);
                    } catch (RuntimeException e) {
                        failure = e;
                    }
                }
                store.onFailure(failure);
                fallbackDecisions.increment();
                long later = ticker.read();
                for (Binding b : global) {
                    if (tally.rejected()) {
                        peekLocal(tally, b, bound.routeId, keys, later, true);
                    } else {
                        takeLocal(tally, b, bound.routeId, keys, later, true);
                    }
                }
                tally.fallback = true;
                return finish(tally);
            } catch (RuntimeException e) {
                // Never fail the stage (the caller would answer 500) and never admit unchecked: reject this one.
                unexpected.error("rate limiter: unexpected failure, decided locally", e);
                tally.refundAll();
                return LimitDecision.rejected(limits.policyHeader(), global[0].rule.name(), 1, true);
            }
        });
    }

    /** Decides every rule here; global rules at this node's share when {@code share} (Redis in fallback). */
    private LimitDecision decideLocally(Bound bound, Binding[] rules, RouteLimits limits, LimitKeys keys, long now,
                                        boolean share) {
        // Nothing here waits for anything, so the thread's tally is free again once the decision is made.
        Tally tally = LOCAL_TALLY.get().reset(limits.policyHeader(), rules.length);
        tally.fallback = share;
        for (Binding b : rules) {
            boolean atShare = share && b.rule.scope() == Scope.GLOBAL;
            if (tally.rejected()) {
                peekLocal(tally, b, bound.routeId, keys, now, atShare);
            } else {
                takeLocal(tally, b, bound.routeId, keys, now, atShare);
            }
        }
        return finish(tally);
    }

    private void takeLocal(Tally tally, Binding b, String routeId, LimitKeys keys, long now, boolean atShare) {
        long interval = interval(b, atShare);
        long tolerance = tolerance(b, atShare);
        LimitKey key = LimitKey.probe().set(atShare ? b.shareBucketId : b.bucketId, b.rule, tolerance, routeId, keys);
        AtomicLong cell = table.cell(key);
        long r = Gcra.acquire(cell, now, interval, tolerance);
        if (r >= 0) {
            tally.taken(cell, interval);
            tally.allowed(b, Gcra.remaining(r, interval, tolerance), Gcra.ceilSeconds(r), tolerance / interval);
        } else {
            tally.rejected(b, -r);
        }
    }

    private void peekLocal(Tally tally, Binding b, String routeId, LimitKeys keys, long now, boolean atShare) {
        long interval = interval(b, atShare);
        long tolerance = tolerance(b, atShare);
        LimitKey key = LimitKey.probe().set(atShare ? b.shareBucketId : b.bucketId, b.rule, tolerance, routeId, keys);
        long r = Gcra.peek(table.peek(key), now, interval, tolerance);
        if (r < 0) {
            tally.rejected(b, -r);
        }
    }

    private long interval(Binding b, boolean atShare) {
        return atShare ? b.rule.intervalNanos() * settings.nodes() : b.rule.intervalNanos();
    }

    /** At the share, the burst is divided too (rounded up, at least 1). */
    private long tolerance(Binding b, boolean atShare) {
        if (!atShare) {
            return b.rule.toleranceNanos();
        }
        int nodes = settings.nodes();
        long burst = (b.rule.burst() + nodes - 1) / nodes;
        return burst * b.rule.intervalNanos() * nodes;
    }

    private static long[] parseReply(List<Object> answer, int globals) {
        if (answer == null || answer.size() != globals + 1) {
            throw new IllegalStateException("unexpected script reply: " + answer);
        }
        long[] out = new long[globals + 1];
        for (int i = 0; i <= globals; i++) {
            if (!(answer.get(i) instanceof Long v)) {
                throw new IllegalStateException("unexpected script reply: " + answer);
            }
            out[i] = v;
        }
        return out;
    }

    /** Folds the script's answer (µs) into the tally. */
    private static void applyRedis(Tally tally, Binding[] global, long[] reply) {
        boolean admitted = reply[0] == 1;
        for (int i = 0; i < global.length; i++) {
            Binding b = global[i];
            double ahead = reply[i + 1];
            if (admitted) {
                long remaining = Math.max(0, (long) Math.floor((b.toleranceMicros - ahead) / b.intervalMicros));
                tally.allowed(b, remaining, (long) Math.ceil(ahead / 1e6), b.rule.burst());
            } else {
                double wait = ahead + b.intervalMicros - b.toleranceMicros;
                if (wait > 0) {
                    tally.rejected(b, (long) Math.ceil(wait * 1000));
                }
            }
        }
        if (!admitted && !tally.rejected()) {
            // Only possible with rounding at the very edge; the script said no, so the answer is no.
            tally.rejected(global[0], 1);
        }
    }

    private LimitDecision finish(Tally t) {
        if (t.rejected()) {
            t.refundAll();
            rejections.computeIfAbsent(t.rejectedBy.label, k -> new LongAdder()).increment();
            long retry = Gcra.ceilSeconds(t.maxWait);
            return LimitDecision.rejected(t.policy, t.rejectedBy.rule.name(), retry, t.fallback);
        }
        if (t.best == null) {
            return LimitDecision.allowedWithPolicy(t.policy);
        }
        // A bucket far from empty reports the same numbers on every request (a full one: burst - 1, and the
        // interval rounded up to 1 s), so the rule's last allowed decision usually serves again as it is.
        LimitDecision last = t.best.lastAllowed;
        if (last != null && last.reports(t.policy, t.bestRemaining, t.bestReset, t.bestFill, t.fallback)) {
            return last;
        }
        LimitDecision d = LimitDecision.allowed(t.policy, t.best.rule.name(), t.bestRemaining, t.bestReset,
                t.bestFill, t.fallback);
        t.best.lastAllowed = d;
        return d;
    }

    @Override
    public void update(RateLimitSettings next) {
        Objects.requireNonNull(next, "next");
        synchronized (updateLock) {
            table.resize(next.maxKeys());
            RedisStore old = redis;
            RedisStore replacement = old;
            if (!wantsRedis(next)) {
                replacement = null;
            } else if (old == null || !old.settings().equals(next.redis().orElseThrow())) {
                replacement = newStore(next.redis().orElseThrow());
            }
            settings = next;
            redis = replacement;
            if (old != null && old != replacement) {
                old.close();
            }
        }
    }

    @Override
    public LimiterStats stats() {
        Map<String, Long> byRule = new HashMap<>();
        rejections.forEach((k, v) -> byRule.put(k, v.sum()));
        RedisStore store = redis;
        return new LimiterStats(table.size(), table.maxKeys(), table.evictions(), table.expirations(), byRule,
                store != null && !store.available(), fallbackActivations.sum(), fallbackDecisions.sum(),
                redisErrors.sum());
    }

    /** Runs the key table's pending maintenance now; for tests and tools, off the event loop. */
    void cleanUp() {
        table.cleanUp();
    }

    @Override
    public void close() {
        synchronized (updateLock) {
            RedisStore old = redis;
            redis = null;
            if (old != null) {
                old.close();
            }
        }
    }

    /**
     * The state of one check across its rules. Used by one thread at a time (the caller's, then Lettuce's); a local
     * decision {@link #reset}s its thread's own.
     */
    private static final class Tally {
        Optional<String> policy;
        boolean fallback;
        Binding best;
        long bestRemaining;
        long bestReset;
        double bestFill;
        Binding rejectedBy;
        long maxWait;
        private AtomicLong[] cells;
        private long[] intervals;
        private int taken;

        Tally(Optional<String> policy, int rules) {
            this.cells = new AtomicLong[rules];
            this.intervals = new long[rules];
            reset(policy, rules);
        }

        Tally reset(Optional<String> policy, int rules) {
            if (cells.length < rules) {
                cells = new AtomicLong[rules];
                intervals = new long[rules];
            }
            this.policy = policy;
            fallback = false;
            best = null;
            bestRemaining = 0;
            bestReset = 0;
            bestFill = 2.0;
            rejectedBy = null;
            maxWait = 0;
            taken = 0;
            return this;
        }

        boolean rejected() {
            return rejectedBy != null;
        }

        void taken(AtomicLong cell, long interval) {
            cells[taken] = cell;
            intervals[taken] = interval;
            taken++;
        }

        void allowed(Binding b, long remaining, long resetSeconds, long burst) {
            double fill = (double) remaining / Math.max(1, burst);
            if (best == null || fill < bestFill) {
                best = b;
                bestRemaining = remaining;
                bestReset = resetSeconds;
                bestFill = fill;
            }
        }

        void rejected(Binding b, long waitNanos) {
            if (rejectedBy == null || waitNanos > maxWait) {
                rejectedBy = b;
                maxWait = waitNanos;
            }
        }

        void refundAll() {
            for (int i = 0; i < taken; i++) {
                Gcra.refund(cells[i], intervals[i]);
            }
            taken = 0;
        }
    }
}
