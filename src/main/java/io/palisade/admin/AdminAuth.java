package io.palisade.admin;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.NetUtil;
import io.palisade.time.CacheExpiry;
import io.palisade.time.Ticker;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who may call the admin port. With a token, every call but the probes must carry {@code Authorization: Bearer
 * <token>}; an address that fails {@value #MAX_FAILURES} times within a window is refused with 429 until the window
 * that began with its first failure has passed, the right token included, so a guesser learns nothing more. Other
 * addresses are not affected. Without a token, reads are open and changes are accepted only from loopback.
 */
final class AdminAuth {
    static final int MAX_FAILURES = 10;
    static final Duration WINDOW = Duration.ofMinutes(1);
    /** Addresses tracked at once; past it the oldest are forgotten, so a spray of addresses cannot fill the heap. */
    static final int MAX_TRACKED_ADDRESSES = 10_000;
    private static final String BEARER = "bearer ";

    /** Why a call is refused, and the answer it gets. {@code retryAfterSeconds} is 0 when there is none to send. */
    record Refusal(HttpResponseStatus status, String code, String message, String reason, long retryAfterSeconds) {}

    /** The failures of one address in its current window. */
    private record Failures(long startNanos, AtomicInteger count) {}

    private final Optional<byte[]> tokenHash;
    private final boolean metricsNeedToken;
    private final Ticker ticker;
    private final Cache<String, Failures> failures;

    AdminAuth(Optional<String> token, Ticker ticker) {
        this(token, false, ticker);
    }

    /** @param metricsNeedToken {@code /metrics} is not open to anyone (an admin address reachable from elsewhere) */
    AdminAuth(Optional<String> token, boolean metricsNeedToken, Ticker ticker) {
        this.tokenHash = token.map(AdminToken::sha256);
        this.metricsNeedToken = metricsNeedToken && token.isPresent();
        this.ticker = ticker;
        long window = WINDOW.toNanos();
        this.failures = Caffeine.newBuilder()
                .ticker(ticker::read)
                .maximumSize(MAX_TRACKED_ADDRESSES)
                .expireAfter(CacheExpiry.afterWrite((String address, Failures f) -> window))
                .build();
    }

    boolean tokenRequired() {
        return tokenHash.isPresent();
    }

    /** Whether {@code /metrics} needs the token as the other calls do (the probes never do). */
    boolean metricsNeedToken() {
        return metricsNeedToken;
    }

    /** The caller behind {@code remote}, authenticated when {@code authorization} carries the token. */
    Caller identify(SocketAddress remote, Optional<String> authorization) {
        boolean authenticated = tokenHash.isPresent() && bearer(authorization)
                .map(t -> AdminToken.matches(tokenHash.get(), t)).orElse(false);
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return new Caller(NetUtil.toAddressString(inet.getAddress()), inet.getAddress().isLoopbackAddress(),
                    authenticated);
        }
        return new Caller("unknown", false, authenticated);
    }

    /**
     * Decides a call that is not a probe; a call refused for its token counts as a failed attempt of its address.
     *
     * @param mutating the call changes something (every admin POST)
     */
    Optional<Refusal> check(Caller caller, Optional<String> authorization, boolean mutating) {
        if (tokenHash.isEmpty()) {
            if (mutating && !caller.loopback()) {
                return Optional.of(new Refusal(HttpResponseStatus.FORBIDDEN, "forbidden",
                        "Changes are accepted only over loopback while no token is configured: set"
                                + " admin.token_file to allow them from elsewhere.",
                        "change from a non-loopback address without admin.token_file", 0));
            }
            return Optional.empty();
        }
        long now = ticker.read();
        Failures seen = failures.getIfPresent(caller.address());
        if (seen != null && seen.count().get() >= MAX_FAILURES) {
            long left = seen.startNanos() + WINDOW.toNanos() - now;
            long seconds = Math.max(1, (left + 999_999_999L) / 1_000_000_000L);
            return Optional.of(new Refusal(HttpResponseStatus.TOO_MANY_REQUESTS, "too_many_failed_attempts",
                    "Too many failed token attempts from this address; retry after " + seconds + " s.",
                    "over " + MAX_FAILURES + " failed token attempts per " + WINDOW.toSeconds() + " s", seconds));
        }
        if (caller.authenticated()) {
            return Optional.empty();
        }
        failures.get(caller.address(), a -> new Failures(now, new AtomicInteger())).count().incrementAndGet();
        String reason = authorization.isEmpty() ? "missing bearer token"
                : bearer(authorization).isEmpty() ? "not a bearer token" : "wrong bearer token";
        return Optional.of(new Refusal(HttpResponseStatus.UNAUTHORIZED, "unauthorized",
                "This admin call needs Authorization: Bearer <token> (the token in admin.token_file).", reason, 0));
    }

    private static Optional<String> bearer(Optional<String> authorization) {
        return authorization.map(String::strip)
                .filter(h -> h.regionMatches(true, 0, BEARER, 0, BEARER.length()))
                .map(h -> h.substring(BEARER.length()).strip())
                .filter(t -> !t.isEmpty());
    }
}
