package io.palisade.auth;

import com.nimbusds.jose.jwk.JWKSet;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key set of one JWT issuer: fetched over HTTP with a deadline, kept last-good when a fetch fails, refreshed in the
 * background every {@code refresh} (sooner, after {@code min_interval}, when the last fetch failed).
 *
 * <p>Fetches are single-flight: callers that need keys while a fetch runs join it. On-demand fetches (an unknown
 * {@code kid}, or no key set yet) start at most once per {@code min_interval}, so a stream of tokens with made-up key
 * ids cannot turn into a stream of requests to the key server.
 */
final class JwksSource implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JwksSource.class);
    private static final int MAX_JWKS_BYTES = 512 * 1024;
    private static final long NEVER = Long.MIN_VALUE;

    /**
     * What a fetch left behind.
     *
     * @param keys  the current key set: the new one, or the last good one when the fetch failed
     * @param ok    whether this fetch succeeded
     * @param error why it failed; empty when it did not
     */
    record Fetch(Optional<JwtKeys> keys, boolean ok, String error) {}

    private final AuthSettings.Jwt settings;
    private final URI url;
    private final HttpCalls http;
    private final Ticker ticker;
    private final ScheduledExecutorService scheduler;
    private final RateLimitedLog logLimiter;

    private volatile Optional<JwtKeys> keys = Optional.empty();
    private volatile boolean lastFetchFailed;
    private volatile String lastError = "no fetch yet";
    private volatile boolean closed;
    private volatile ScheduledFuture<?> nextRefresh;
    private final AtomicLong fetches = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    // Guarded by this: whether a fetch runs, and when the last on-demand one started. Scheduled fetches do not count
    // against the on-demand budget, so a key rotated in just after a scheduled fetch is picked up at once.
    private CompletableFuture<Fetch> inFlight;
    private long lastOnDemandStart = NEVER;

    JwksSource(AuthSettings.Jwt settings, URI url, HttpCalls http, Ticker ticker, ScheduledExecutorService scheduler) {
        this.settings = settings;
        this.url = url;
        this.http = http;
        this.ticker = ticker;
        this.scheduler = scheduler;
        this.logLimiter = RateLimitedLog.every(Duration.ofSeconds(10), LOG, ticker);
    }

    URI url() {
        return url;
    }

    /**
     * Starts from the last good key set of the source this one replaces (same URL, other settings), so a reload
     * that rebuilds the provider while the key server is down does not forget the keys (seed 000). Call before
     * {@link #start()}; a successful fetch replaces them as usual.
     */
    void inherit(JwtKeys previous) {
        if (keys.isEmpty()) {
            keys = Optional.of(previous.forAlgorithms(settings.algorithms()));
        }
    }

    /** Starts the first fetch and the background refresh. */
    void start() {
        scheduledRefresh();
    }

    Optional<JwtKeys> current() {
        return keys;
    }

    boolean lastFetchFailed() {
        return lastFetchFailed;
    }

    String lastError() {
        return lastError;
    }

    long fetchCount() {
        return fetches.get();
    }

    long failureCount() {
        return failures.get();
    }

    /** Fetches now, or joins the fetch already running; not rate limited. */
    CompletableFuture<Fetch> refresh() {
        CompletableFuture<Fetch> mine;
        synchronized (this) {
            if (inFlight != null) {
                return inFlight;
            }
            mine = new CompletableFuture<>();
            inFlight = mine;
        }
        fetch(mine);
        return mine;
    }

    /**
     * Joins the running fetch, or starts one if the last on-demand fetch started at least {@code min_interval} ago;
     * empty when rate limited.
     */
    Optional<CompletableFuture<Fetch>> refreshIfAllowed() {
        CompletableFuture<Fetch> mine;
        synchronized (this) {
            if (inFlight != null) {
                return Optional.of(inFlight);
            }
            long now = ticker.read();
            if (lastOnDemandStart != NEVER && now - lastOnDemandStart < settings.minFetchInterval().toNanos()) {
                return Optional.empty();
            }
            mine = new CompletableFuture<>();
            inFlight = mine;
            lastOnDemandStart = now;
        }
        fetch(mine);
        return Optional.of(mine);
    }

    private void fetch(CompletableFuture<Fetch> mine) {
        fetches.incrementAndGet();
        HttpRequest.Builder request = HttpRequest.newBuilder(url).GET().header("Accept", "application/json");
        http.send(request, settings.fetchTimeout(), MAX_JWKS_BYTES).handle((response, error) -> {
            Fetch result;
            try {
                result = error != null ? failed(HttpCalls.describe(error)) : loaded(response);
            } catch (RuntimeException e) {
                result = failed(e.toString());
            }
            synchronized (this) {
                inFlight = null;
            }
            mine.complete(result);
            return null;
        });
    }

    private Fetch loaded(HttpResponse<byte[]> response) {
        if (response.statusCode() != 200) {
            return failed("status " + response.statusCode());
        }
        JWKSet set;
        try {
            set = JWKSet.parse(new String(response.body(), StandardCharsets.UTF_8));
        } catch (java.text.ParseException e) {
            return failed("not a JWK set: " + e.getMessage());
        }
        JwtKeys loaded = JwtKeys.from(set, settings.algorithms());
        if (!loaded.skipped().isEmpty()) {
            logLimiter.warn("skipped", "jwt:" + settings.name() + ": keys skipped from " + url + ": "
                    + loaded.skipped(), null);
        }
        keys = Optional.of(loaded);
        lastFetchFailed = false;
        lastError = "";
        return new Fetch(keys, true, "");
    }

    private Fetch failed(String why) {
        failures.incrementAndGet();
        lastFetchFailed = true;
        lastError = why;
        logLimiter.warn("fetch", "jwt:" + settings.name() + ": key set fetch from " + url + " failed: " + why
                + (keys.isPresent() ? "; keeping the last good key set" : "; no key set loaded yet"), null);
        return new Fetch(keys, false, why);
    }

    private void scheduledRefresh() {
        if (closed) {
            return;
        }
        refresh().thenAccept(f -> scheduleNext(f.ok() ? settings.refresh() : min(settings.refresh(),
                settings.minFetchInterval())));
    }

    private void scheduleNext(Duration delay) {
        if (closed) {
            return;
        }
        try {
            ScheduledFuture<?> next = scheduler.schedule(this::scheduledRefresh, delay.toNanos(), TimeUnit.NANOSECONDS);
            nextRefresh = next;
            if (closed) {
                next.cancel(false);
            }
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The scheduler is shutting down with the service.
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        closed = true;
        ScheduledFuture<?> next = nextRefresh;
        if (next != null) {
            next.cancel(false);
        }
    }
}
