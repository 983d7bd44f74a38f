package io.palisade.ratelimit;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.ConnectionFuture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.palisade.ratelimit.RateLimitSettings.RedisSettings;
import io.palisade.time.Ticker;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Global buckets in Redis: one shared, pipelined Lettuce connection; one {@code EVALSHA} round trip per check covering
 * every global rule of the request; a deadline on every call; and a fallback state machine.
 *
 * <p>States: {@code CONNECTING} (at start) and {@code DOWN} send nothing to Redis, the limiter decides global rules
 * locally at this node's share; {@code UP} sends checks to Redis. Any failed or late call moves {@code UP} to
 * {@code DOWN} (one log line, one counted activation). While {@code DOWN}, a check at most every
 * {@code probe_interval} (measured on the injected ticker) sends one {@code PING}, or a new connect when the first one
 * never succeeded; its answer moves back to {@code UP}. No thread or timer per check: probes ride on traffic.
 *
 * <p>Time: the script is given "now" by the calling node, as microseconds since {@link #EPOCH} derived from the injected
 * ticker anchored once to the wall clock. The tradeoff: nodes whose clocks disagree by d share a bucket up to
 * {@code rate x d} more (or less) generously than exact, which NTP keeps to milliseconds (well under a burst); in return
 * tests drive Redis buckets with a fake ticker exactly, and a node's local fallback runs on the same clock as its Redis
 * calls. A node behind the others can never rewind a bucket: the script only moves a TAT forward.
 */
final class RedisStore {
    /** The origin of the times sent to Redis; keeps them small enough for Lua's doubles to hold to a microsecond. */
    static final Instant EPOCH = Instant.parse("2020-01-01T00:00:00Z");
    private static final Logger LOG = LoggerFactory.getLogger(RedisStore.class);
    private static final int REQUEST_QUEUE = 16_384;

    /**
     * KEYS: the buckets. ARGV[1]: now (µs since EPOCH). ARGV[2i], ARGV[2i+1]: interval and tolerance (burst x interval)
     * of KEYS[i], µs. Writes nothing unless every bucket admits the request, so a rejection costs no other rule a
     * token. Answers {admitted (1|0), then per key how far its TAT runs ahead of now afterwards, µs}. Each key expires
     * when its TAT passes, i.e. when it no longer carries state.
     */
    static final String SCRIPT = """
            local now = tonumber(ARGV[1])
            local n = #KEYS
            local tats = {}
            local admitted = 1
            for i = 1, n do
              local tat = tonumber(redis.call('GET', KEYS[i]) or '')
              if tat == nil or tat < now then tat = now end
              tats[i] = tat
              if tat + tonumber(ARGV[2 * i]) - now > tonumber(ARGV[2 * i + 1]) then admitted = 0 end
            end
            local out = {admitted}
            for i = 1, n do
              local tat = tats[i]
              if admitted == 1 then
                tat = tat + tonumber(ARGV[2 * i])
                redis.call('SET', KEYS[i], string.format('%.3f', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
              end
              out[i + 1] = math.floor(tat - now)
            end
            return out
            """;
    static final String SCRIPT_SHA = sha1(SCRIPT);

    private enum State { CONNECTING, UP, DOWN }

    private final RedisSettings settings;
    private final Ticker ticker;
    private final ClientResources resources;
    private final RedisClient client;
    private final RedisURI uri;
    private final long probeIntervalNanos;
    private final long anchorMicros;
    private final long anchorNanos;
    private final LongAdder errors;
    private final LongAdder activations;
    private final AtomicReference<State> state = new AtomicReference<>(State.CONNECTING);
    private final AtomicBoolean probing = new AtomicBoolean(true);
    private volatile StatefulRedisConnection<String, String> connection;
    /** The latest connection attempt, done or not. */
    private volatile CompletableFuture<StatefulRedisConnection<String, String>> connecting;
    private volatile long nextProbeAt;
    private volatile boolean closed;

    RedisStore(RedisSettings settings, Ticker ticker, Clock clock, LongAdder errors, LongAdder activations) {
        this.settings = settings;
        this.ticker = ticker;
        this.errors = errors;
        this.activations = activations;
        this.probeIntervalNanos = settings.probeInterval().toNanos();
        this.anchorNanos = ticker.read();
        this.anchorMicros = Duration.between(EPOCH, clock.instant()).toNanos() / 1000;
        this.nextProbeAt = anchorNanos + probeIntervalNanos;
        Duration timeout = settings.timeout();
        this.resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), settings.probeInterval(), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        this.uri = RedisURI.builder()
                .withHost(settings.address().host())
                .withPort(settings.address().port())
                .withTimeout(timeout)
                .build();
        this.client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // Commands issued while disconnected fail at once (and fall back) instead of queueing for the reconnect.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(REQUEST_QUEUE)
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(timeout.compareTo(Duration.ofSeconds(1)) > 0 ? timeout : Duration.ofSeconds(1))
                        .keepAlive(true)
                        .build())
                .timeoutOptions(TimeoutOptions.builder().fixedTimeout(timeout).build())
                .build());
        connect();
    }

    RedisSettings settings() {
        return settings;
    }

    /** Whether checks go to Redis now; otherwise the caller decides global rules at its local share. */
    boolean available() {
        return state.get() == State.UP;
    }

    /** Microseconds since {@link #EPOCH} on this node's clock for a ticker reading. */
    long micros(long tickerNanos) {
        return anchorMicros + Math.floorDiv(tickerNanos - anchorNanos, 1000L);
    }

    /** Runs the script once; the stage fails (never hangs past the deadline) when Redis cannot answer. */
    CompletionStage<List<Object>> eval(String[] keys, String[] args) {
        StatefulRedisConnection<String, String> c = connection;
        if (c == null || closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("no Redis connection"));
        }
        CompletionStage<List<Object>> first = c.async().evalsha(SCRIPT_SHA, ScriptOutputType.MULTI, keys, args);
        return first.handle((reply, error) -> {
            if (error == null) {
                return CompletableFuture.completedStage(reply);
            }
            if (isNoScript(error)) {
                // A restarted or flushed Redis lost its script cache; EVAL runs the script and caches it again.
                CompletionStage<List<Object>> again = c.async().eval(SCRIPT, ScriptOutputType.MULTI, keys, args);
                return again;
            }
            return CompletableFuture.<List<Object>>failedStage(error);
        }).thenCompose(s -> s);
    }

    /** Records a failed or late call: counts it and, on the transition from {@code UP}, falls back (one log line). */
    void onFailure(Throwable error) {
        errors.increment();
        if (state.compareAndSet(State.UP, State.DOWN)) {
            nextProbeAt = ticker.read() + probeIntervalNanos;
            activations.increment();
            LOG.warn("Redis rate-limit store {} failed ({}); global limits now enforced locally at this node's share"
                    + " until it answers again", settings.address(), describe(error));
        }
    }

    /** Called by checks decided locally while Redis is not available: starts a probe when one is due. */
    void maybeProbe(long now) {
        if (closed || state.get() == State.UP || now - nextProbeAt < 0 || !probing.compareAndSet(false, true)) {
            return;
        }
        nextProbeAt = now + probeIntervalNanos;
        StatefulRedisConnection<String, String> c = connection;
        if (c == null) {
            connect();
            return;
        }
        try {
            c.async().ping().whenComplete((pong, error) -> {
                probing.set(false);
                if (error == null) {
                    up();
                } else {
                    errors.increment();
                }
            });
        } catch (RuntimeException e) {
            probing.set(false);
            errors.increment();
        }
    }

    private void connect() {
        try {
            ConnectionFuture<StatefulRedisConnection<String, String>> attempt =
                    client.connectAsync(StringCodec.UTF8, uri);
            connecting = attempt.toCompletableFuture();
            attempt.whenComplete((c, error) -> {
                if (error != null) {
                    probing.set(false);
                    connectFailed(error);
                    return;
                }
                if (closed) {
                    c.closeAsync();
                    probing.set(false);
                    return;
                }
                connection = c;
                // Loaded once per connection; EVALSHA still recovers by itself if the cache is lost later.
                c.async().scriptLoad(SCRIPT).whenComplete((sha, loadError) -> {
                    probing.set(false);
                    if (loadError == null) {
                        up();
                    } else {
                        connectFailed(loadError);
                    }
                });
            });
        } catch (RuntimeException e) {
            probing.set(false);
            connectFailed(e);
        }
    }

    /**
     * The first connection (or its script load) failed: counts it and, leaving {@code CONNECTING}, falls back with one
     * WARN line, whichever step failed. Without that line a script load that missed its deadline on a cold start left
     * the node at its local share with nothing in the log.
     */
    private void connectFailed(Throwable error) {
        errors.increment();
        if (state.compareAndSet(State.CONNECTING, State.DOWN)) {
            activations.increment();
            LOG.warn("Redis rate-limit store {} could not be set up ({}); global limits enforced locally at this node's"
                    + " share until it answers", settings.address(), describe(error));
        }
    }

    private void up() {
        State before = state.getAndSet(State.UP);
        if (before == State.DOWN) {
            LOG.info("Redis rate-limit store {} answers again; global limits back on Redis", settings.address());
        } else if (before == State.CONNECTING) {
            LOG.info("Redis rate-limit store {} connected", settings.address());
        }
    }

    /** Closes the connection and Lettuce's threads in the background; never blocks. */
    void close() {
        closed = true;
        state.set(State.DOWN);
        // A connection still being set up is let finish first (it closes itself on seeing closed): shutting Lettuce
        // down under it leaks the buffer its handler took on registration.
        CompletableFuture<StatefulRedisConnection<String, String>> attempt = connecting;
        CompletableFuture<StatefulRedisConnection<String, String>> settled = attempt == null
                ? CompletableFuture.completedFuture(null) : attempt.handle((c, e) -> c);
        settled.thenCompose(fromAttempt -> {
            StatefulRedisConnection<String, String> c = fromAttempt != null ? fromAttempt : connection;
            return c == null ? CompletableFuture.<Void>completedFuture(null) : c.closeAsync();
        }).handle((v, e) -> client.shutdownAsync(0, 2, TimeUnit.SECONDS))
                .thenCompose(s -> s)
                .whenComplete((v, e) -> resources.shutdown(0, 2, TimeUnit.SECONDS));
    }

    private static boolean isNoScript(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RedisNoScriptException
                    || (t.getMessage() != null && t.getMessage().startsWith("NOSCRIPT"))) {
                return true;
            }
        }
        return false;
    }

    static String describe(Throwable error) {
        Throwable t = error;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static String sha1(String script) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-1", e);
        }
    }
}
