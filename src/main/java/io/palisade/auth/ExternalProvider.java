package io.palisade.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.palisade.error.ErrorKind;
import io.palisade.time.CacheExpiry;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An external auth service ({@code auth.external.<name>}), called over HTTP with a deadline, behind a bulkhead and a
 * circuit breaker, with a decision cache.
 *
 * <p>The contract: {@code POST <url>} with {@code Content-Type: application/json} and the body
 * {@code {"method":"GET","path":"/ops/x","query":"a=1","headers":{"authorization":"Bearer ..."}}} ({@code headers}
 * holds the configured {@code forward_headers} the request carries, names in lower case, repeated values joined with
 * {@code ", "}). The answer:
 * <ul>
 *   <li>200: allowed. The body may be empty, or a JSON object
 *       {@code {"allow": true, "consumer": "acme", "groups": ["ops"], "headers": {"X-Tenant-Id": "7"}}}, every field
 *       optional; {@code "allow": false} means forbidden. {@code headers} are passed upstream (not hop-by-hop or
 *       framing headers, not {@code X-Consumer-*}). Without {@code consumer}, the identity is the provider id.</li>
 *   <li>401: unauthenticated. 403: forbidden.</li>
 *   <li>Anything else, a malformed 200 body, a timeout or a connection error: unavailable (503), and a failure for the
 *       circuit breaker.</li>
 * </ul>
 *
 * <p>Decisions are cached by a SHA-256 of exactly what was sent: allowed for {@code allow_ttl}, denied for
 * {@code deny_ttl}. Past its TTL an entry stays {@code serve_stale_for} longer: while the circuit is closed the service
 * is asked again and the stale entry answers only if it cannot; while the circuit is open or half-open the stale entry
 * answers at once and one background call per entry tries to refresh it. Concurrent identical requests share one call.
 */
final class ExternalProvider implements Provider {
    private static final Logger LOG = LoggerFactory.getLogger(ExternalProvider.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_RESPONSE_BYTES = 64 * 1024;
    private static final int MAX_HEADERS = 32;
    private static final int MAX_HEADER_VALUE = 4096;
    private static final Set<String> RESERVED_HEADERS = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length", "content-type",
            "expect", "proxy-authorization", "proxy-authenticate");

    /** What the service said, before it is turned into a decision with the current consumers. */
    sealed interface Answer {
        record Allow(Optional<String> consumer, Set<String> groups, Map<String, String> headers) implements Answer {}

        record Deny(ErrorKind kind, int status) implements Answer {}

        record Failed(String reason) implements Answer {}
    }

    private record Key(long a, long b, long c, long d) {}

    private record Cached(Answer answer, long freshUntil, long lifetimeNanos) {}

    private final AuthSettings.External settings;
    private final String id;
    private final HttpCalls http;
    private final Ticker ticker;
    private final CircuitBreaker breaker;
    private final Semaphore bulkhead;
    private final Optional<Cache<Key, Cached>> cache;
    private final ConcurrentHashMap<Key, CompletableFuture<Answer>> inFlight = new ConcurrentHashMap<>();
    private final LongAdder staleServed = new LongAdder();
    private final LongAdder calls = new LongAdder();
    private final RateLimitedLog logLimiter;

    ExternalProvider(AuthSettings.External settings, HttpCalls http, Ticker ticker) {
        this.settings = settings;
        this.id = settings.providerId();
        this.http = http;
        this.ticker = ticker;
        this.breaker = new CircuitBreaker(settings.breaker(), ticker);
        this.bulkhead = new Semaphore(settings.maxInFlight());
        this.logLimiter = RateLimitedLog.every(Duration.ofSeconds(10), LOG, ticker);
        this.cache = settings.cache().maxEntries() == 0 ? Optional.empty() : Optional.of(Caffeine.newBuilder()
                .maximumSize(settings.cache().maxEntries())
                .ticker(ticker::read)
                .executor(Runnable::run)
                .expireAfter(CacheExpiry.afterWrite((Key k, Cached v) -> v.lifetimeNanos()))
                .build());
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Object settings() {
        return settings;
    }

    CircuitBreaker breaker() {
        return breaker;
    }

    @Override
    public Optional<Attempt> prepare(AuthRequest request, AuthView view) {
        ObjectNode body = JSON.createObjectNode();
        body.put("method", request.method());
        body.put("path", request.path());
        body.put("query", request.query());
        ObjectNode headers = body.putObject("headers");
        for (String name : settings.forwardHeaders()) {
            List<String> values = request.headers().getAll(name);
            if (!values.isEmpty()) {
                headers.put(name.toLowerCase(Locale.ROOT), String.join(", ", values));
            }
        }
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            AuthDecision d = new AuthDecision.Unavailable(id, "cannot encode request: " + e.getMessage());
            return Optional.of(() -> CompletableFuture.completedFuture(d));
        }
        Map<String, AuthSettings.Consumer> consumers = view.settings().consumers();
        return Optional.of(() -> check(bytes, consumers));
    }

    private CompletionStage<AuthDecision> check(byte[] body, Map<String, AuthSettings.Consumer> consumers) {
        Key key = keyOf(body);
        Cached cached = cache.map(c -> c.getIfPresent(key)).orElse(null);
        if (cached != null) {
            if (cached.freshUntil() - ticker.read() > 0) {
                return CompletableFuture.completedFuture(toDecision(cached.answer(), consumers));
            }
            if (breaker.state() != BreakerState.CLOSED) {
                staleServed.increment();
                callShared(key, body);
                return CompletableFuture.completedFuture(toDecision(cached.answer(), consumers));
            }
        }
        return callShared(key, body).thenApply(answer -> {
            if (answer instanceof Answer.Failed && cached != null) {
                staleServed.increment();
                return toDecision(cached.answer(), consumers);
            }
            return toDecision(answer, consumers);
        });
    }

    /** One call per distinct request at a time; the answer is cached when the service gave one. */
    private CompletableFuture<Answer> callShared(Key key, byte[] body) {
        CompletableFuture<Answer> mine = new CompletableFuture<>();
        CompletableFuture<Answer> running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            return running;
        }
        call(body).whenComplete((answer, error) -> {
            Answer a = error != null ? new Answer.Failed(HttpCalls.describe(error)) : answer;
            if (!(a instanceof Answer.Failed)) {
                cache.ifPresent(c -> c.put(key, cached(a)));
            }
            inFlight.remove(key, mine);
            mine.complete(a);
        });
        return mine;
    }

    private Cached cached(Answer a) {
        long ttl = (a instanceof Answer.Allow ? settings.cache().allowTtl() : settings.cache().denyTtl()).toNanos();
        return new Cached(a, ticker.read() + ttl, ttl + settings.cache().serveStaleFor().toNanos());
    }

    private CompletableFuture<Answer> call(byte[] body) {
        if (!bulkhead.tryAcquire()) {
            return CompletableFuture.completedFuture(new Answer.Failed("too many calls in flight (max_in_flight "
                    + settings.maxInFlight() + ")"));
        }
        long ticket = breaker.tryAcquire();
        if (ticket == CircuitBreaker.REJECTED) {
            bulkhead.release();
            return CompletableFuture.completedFuture(new Answer.Failed("circuit open"));
        }
        calls.increment();
        HttpRequest.Builder request = HttpRequest.newBuilder(settings.url())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json");
        CompletableFuture<HttpResponse<byte[]>> sent;
        try {
            sent = http.send(request, settings.timeout(), MAX_RESPONSE_BYTES);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.handle((response, error) -> {
            bulkhead.release();
            Answer a;
            try {
                a = error != null ? new Answer.Failed(HttpCalls.describe(error)) : interpret(response);
            } catch (RuntimeException e) {
                a = new Answer.Failed("bad response: " + e);
            }
            boolean failed = a instanceof Answer.Failed;
            breaker.onResult(ticket, !failed);
            if (failed) {
                logLimiter.warn("call", id + ": auth service " + settings.url() + " failed: "
                        + ((Answer.Failed) a).reason(), null);
            }
            return a;
        });
    }

    private Answer interpret(HttpResponse<byte[]> response) {
        return switch (response.statusCode()) {
            case 200 -> parseAllow(response.body());
            case 401 -> new Answer.Deny(ErrorKind.UNAUTHENTICATED, 401);
            case 403 -> new Answer.Deny(ErrorKind.FORBIDDEN, 403);
            default -> new Answer.Failed("status " + response.statusCode());
        };
    }

    private Answer parseAllow(byte[] body) {
        if (new String(body, StandardCharsets.UTF_8).isBlank()) {
            return new Answer.Allow(Optional.empty(), Set.of(), Map.of());
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            return new Answer.Failed("response body is not JSON");
        }
        if (root == null || !root.isObject()) {
            return new Answer.Failed("response body is not a JSON object");
        }
        JsonNode allow = root.get("allow");
        if (allow != null && !allow.isBoolean()) {
            return new Answer.Failed("\"allow\" is not a boolean");
        }
        if (allow != null && !allow.booleanValue()) {
            return new Answer.Deny(ErrorKind.FORBIDDEN, 200);
        }
        Optional<String> consumer = Optional.empty();
        JsonNode c = root.get("consumer");
        if (c != null && !c.isNull()) {
            if (!c.isTextual() || !Names.isPrintableToken(c.asText(), 256)) {
                return new Answer.Failed("\"consumer\" is not a usable id");
            }
            consumer = Optional.of(c.asText());
        }
        Set<String> groups = new LinkedHashSet<>();
        JsonNode g = root.get("groups");
        if (g != null && !g.isNull()) {
            if (!g.isArray()) {
                return new Answer.Failed("\"groups\" is not a list");
            }
            for (JsonNode e : g) {
                if (e.isTextual() && Names.isPrintableToken(e.asText(), 128)) {
                    groups.add(e.asText());
                }
            }
        }
        Map<String, String> headers = new LinkedHashMap<>();
        JsonNode h = root.get("headers");
        if (h != null && !h.isNull()) {
            if (!h.isObject() || h.size() > MAX_HEADERS) {
                return new Answer.Failed("\"headers\" is not an object of at most " + MAX_HEADERS + " entries");
            }
            for (Map.Entry<String, JsonNode> e : h.properties()) {
                String name = e.getKey();
                String lower = name.toLowerCase(Locale.ROOT);
                if (!Names.HEADER_NAME.matcher(name).matches() || RESERVED_HEADERS.contains(lower)
                        || lower.startsWith("x-consumer-") || !e.getValue().isTextual()
                        || !Names.isSafeHeaderValue(e.getValue().asText(), MAX_HEADER_VALUE)) {
                    return new Answer.Failed("header " + name + " cannot be passed upstream");
                }
                headers.put(name, e.getValue().asText());
            }
        }
        return new Answer.Allow(consumer, groups, headers);
    }

    private AuthDecision toDecision(Answer answer, Map<String, AuthSettings.Consumer> consumers) {
        return switch (answer) {
            case Answer.Allow a -> {
                String who = a.consumer().orElse(id);
                Set<String> groups = new LinkedHashSet<>(a.groups());
                AuthSettings.Consumer known = a.consumer().map(consumers::get).orElse(null);
                if (known != null) {
                    groups.addAll(known.groups());
                }
                yield new AuthDecision.Allowed(new Identity(who, groups, id), a.headers());
            }
            case Answer.Deny d -> new AuthDecision.Denied(d.kind(), "auth service answered "
                    + (d.status() == 200 ? "allow: false" : String.valueOf(d.status())));
            case Answer.Failed f -> new AuthDecision.Unavailable(id, f.reason());
        };
    }

    private static Key keyOf(byte[] body) {
        try {
            ByteBuffer digest = ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(body));
            return new Key(digest.getLong(), digest.getLong(), digest.getLong(), digest.getLong());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    @Override
    public void contribute(AuthStats.Builder stats) {
        stats.external(id, breaker.state(), cache.map(Cache::estimatedSize).orElse(0L),
                settings.maxInFlight() - bulkhead.availablePermits(), staleServed.sum(), calls.sum());
    }
}
