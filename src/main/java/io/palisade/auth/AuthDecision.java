package io.palisade.auth;

import io.palisade.error.ErrorKind;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer of {@link AuthService#authenticate}: exactly one of allowed, denied or unavailable.
 *
 * <p>A dependency that could not answer is {@link Unavailable} (503 + Retry-After), never {@link Denied}: a caller
 * with good credentials must not be told "forbidden" because a key server or policy service was down (seed 000).
 *
 * <pre>{@code
 * switch (decision) {
 *     case AuthDecision.Allowed a -> { AuthHeaders.applyUpstream(headers, a, policy); forward(); }
 *     case AuthDecision.Denied d -> reject(d.kind());              // 401 or 403
 *     case AuthDecision.Unavailable u -> reject(u.kind());         // 503, AUTH_UNAVAILABLE
 * }
 * }</pre>
 */
public sealed interface AuthDecision {

    /** The error to answer with; empty when allowed. */
    Optional<ErrorKind> error();

    /**
     * @param identity        who the caller is
     * @param upstreamHeaders extra headers an external auth service asked to pass upstream (already validated)
     */
    record Allowed(Identity identity, Map<String, String> upstreamHeaders) implements AuthDecision {
        public Allowed {
            Objects.requireNonNull(identity, "identity");
            upstreamHeaders = Map.copyOf(upstreamHeaders);
        }

        @Override
        public Optional<ErrorKind> error() {
            return Optional.empty();
        }
    }

    /**
     * @param kind     {@link ErrorKind#UNAUTHENTICATED} (no or bad credentials) or {@link ErrorKind#FORBIDDEN} (known
     *                 caller, not allowed here)
     * @param reason   for logs and metrics only; never sent to the client
     * @param consumer who was refused, when a provider identified the caller and the route's own checks refused it;
     *                 so a 403 can be counted per consumer (seed 000: intermittent 403s of known customers)
     */
    record Denied(ErrorKind kind, String reason, Optional<String> consumer) implements AuthDecision {
        public Denied {
            if (kind != ErrorKind.UNAUTHENTICATED && kind != ErrorKind.FORBIDDEN) {
                throw new IllegalArgumentException("Denied is UNAUTHENTICATED or FORBIDDEN, not " + kind);
            }
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(consumer, "consumer");
        }

        /** A denial that names no caller. */
        public Denied(ErrorKind kind, String reason) {
            this(kind, reason, Optional.empty());
        }

        @Override
        public Optional<ErrorKind> error() {
            return Optional.of(kind);
        }
    }

    /**
     * An auth dependency did not answer within its deadline, failed, is shedding load or has its circuit open.
     *
     * @param provider the provider that could not answer, such as {@code jwt:idp}
     * @param reason   for logs and metrics only; never sent to the client
     */
    record Unavailable(String provider, String reason) implements AuthDecision {
        public Unavailable {
            Objects.requireNonNull(provider, "provider");
            Objects.requireNonNull(reason, "reason");
        }

        /** Always {@link ErrorKind#AUTH_UNAVAILABLE}. */
        public ErrorKind kind() {
            return ErrorKind.AUTH_UNAVAILABLE;
        }

        @Override
        public Optional<ErrorKind> error() {
            return Optional.of(ErrorKind.AUTH_UNAVAILABLE);
        }
    }
}
