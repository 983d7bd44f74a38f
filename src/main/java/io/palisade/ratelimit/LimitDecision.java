package io.palisade.ratelimit;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.palisade.error.ErrorKind;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer of a rate-limit check: allowed or rejected, with the IETF RateLimit header fields for the response
 * (draft-ietf-httpapi-ratelimit-headers: {@code RateLimit-Policy} lists every policy of the route, {@code RateLimit}
 * reports the one closest to exhaustion).
 *
 * <pre>{@code
 * if (!decision.allowed()) {
 *     FullHttpResponse r = ErrorResponses.build(ErrorKind.RATE_LIMITED, requestId, alloc,
 *             (int) decision.retryAfterSeconds());
 *     decision.addHeaders(r.headers());
 * }
 * }</pre>
 *
 * <p>In {@code RateLimit: "name";r=R;t=T}, {@code r} is how many more requests the key may send right now and {@code t}
 * the seconds until its whole burst is available again; on a rejection {@code r=0} and {@code t} equals Retry-After, so
 * Retry-After never points before the end of the effective window.
 */
public final class LimitDecision {
    // Names that carry their hash, rather than having it computed on every response that gets them.
    private static final AsciiString RATELIMIT_POLICY = AsciiString.cached("RateLimit-Policy");
    private static final AsciiString RATELIMIT = AsciiString.cached("RateLimit");
    private static final LimitDecision UNLIMITED = new LimitDecision(true, 0, Optional.empty(), null, 0, 0, 2.0,
            null, false);

    private final boolean allowed;
    private final long retryAfterSeconds;
    private final Optional<String> policy;
    /** The rule reported in {@code RateLimit}, or null when no rule of this phase applied. */
    private final String limitName;
    private final long remaining;
    private final long resetSeconds;
    /** remaining / burst; lower is closer to exhaustion. Above 1 when no rule is reported. */
    private final double fill;
    private final String rejectedBy;
    private final boolean fallback;
    /** The {@code RateLimit} field value, null when no rule is reported. */
    private final String rateLimitValue;

    private LimitDecision(boolean allowed, long retryAfterSeconds, Optional<String> policy, String limitName,
                          long remaining, long resetSeconds, double fill, String rejectedBy, boolean fallback) {
        this.allowed = allowed;
        this.retryAfterSeconds = retryAfterSeconds;
        this.policy = policy;
        this.limitName = limitName;
        this.remaining = remaining;
        this.resetSeconds = resetSeconds;
        this.fill = fill;
        this.rejectedBy = rejectedBy;
        this.fallback = fallback;
        this.rateLimitValue = limitName == null ? null : "\"" + limitName + "\";r=" + remaining + ";t=" + resetSeconds;
    }

    /** Allowed, with no header fields: the route has no rate limits. */
    public static LimitDecision unlimited() {
        return UNLIMITED;
    }

    static LimitDecision allowedWithPolicy(Optional<String> policy) {
        return policy.isEmpty() ? UNLIMITED : new LimitDecision(true, 0, policy, null, 0, 0, 2.0, null, false);
    }

    static LimitDecision allowed(Optional<String> policy, String limitName, long remaining, long resetSeconds,
                                 double fill, boolean fallback) {
        return new LimitDecision(true, 0, policy, limitName, remaining, resetSeconds, fill, null, fallback);
    }

    static LimitDecision rejected(Optional<String> policy, String ruleName, long retryAfterSeconds, boolean fallback) {
        long retry = Math.max(1, retryAfterSeconds);
        return new LimitDecision(false, retry, policy, ruleName, 0, retry, 0.0, ruleName, fallback);
    }

    public boolean allowed() {
        return allowed;
    }

    /** Seconds until the rejecting rule admits a request again (at least 1); 0 when allowed. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** {@link ErrorKind#RATE_LIMITED} (429 + Retry-After) when rejected. */
    public Optional<ErrorKind> rejection() {
        return allowed ? Optional.empty() : Optional.of(ErrorKind.RATE_LIMITED);
    }

    /** The name of the rule that rejected the request (the one with the longest wait when several did). */
    public Optional<String> rejectedBy() {
        return Optional.ofNullable(rejectedBy);
    }

    /**
     * Whether a global rule of this decision was counted locally at this node's share because Redis could not answer
     * in time.
     */
    public boolean decidedByFallback() {
        return fallback;
    }

    /** The {@code RateLimit-Policy} field value; empty when the route has no rate limits. */
    public Optional<String> rateLimitPolicy() {
        return policy;
    }

    /** The {@code RateLimit} field value for the rule closest to exhaustion; empty when no rule applied. */
    public Optional<String> rateLimit() {
        return Optional.ofNullable(rateLimitValue);
    }

    /** Sets {@code RateLimit-Policy} and {@code RateLimit} (Retry-After is the error response's business). */
    public void addHeaders(HttpHeaders headers) {
        if (policy.isPresent()) {
            headers.set(RATELIMIT_POLICY, policy.get());
        }
        if (rateLimitValue != null) {
            headers.set(RATELIMIT, rateLimitValue);
        }
    }

    /** Whether this is the allowed decision {@link #allowed} would make of these arguments (for the same rule). */
    boolean reports(Optional<String> policy, long remaining, long resetSeconds, double fill, boolean fallback) {
        return allowed && this.remaining == remaining && this.resetSeconds == resetSeconds && this.fill == fill
                && this.fallback == fallback && this.policy.equals(policy);
    }

    /**
     * The more restrictive of this decision and {@code other}, for a request checked in both phases: a rejection wins;
     * between two allowed decisions the one whose reported rule has the smaller share of its burst left.
     */
    public LimitDecision mostRestrictive(LimitDecision other) {
        Objects.requireNonNull(other, "other");
        if (allowed != other.allowed) {
            return allowed ? other : this;
        }
        LimitDecision pick = other.fill < fill ? other : this;
        if (pick.policy.isEmpty()) {
            LimitDecision rest = pick == this ? other : this;
            if (rest.policy.isPresent()) {
                return new LimitDecision(pick.allowed, pick.retryAfterSeconds, rest.policy, pick.limitName,
                        pick.remaining, pick.resetSeconds, pick.fill, pick.rejectedBy, pick.fallback);
            }
        }
        return pick;
    }

    @Override
    public String toString() {
        return (allowed ? "allowed" : "rejected by " + rejectedBy + ", retry after " + retryAfterSeconds + "s")
                + rateLimit().map(v -> " [" + v + "]").orElse("") + (fallback ? " (fallback)" : "");
    }
}
