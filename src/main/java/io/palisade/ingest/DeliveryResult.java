package io.palisade.ingest;

import io.palisade.upstream.Endpoint;
import java.util.Objects;
import java.util.Optional;

/**
 * What one delivery attempt came to: the upstream's status (and its {@code Retry-After}, if it sent one), or why
 * there was no status.
 *
 * @param status     the upstream's status, 0 when it did not answer
 * @param retryAfter the response's {@code Retry-After} value as sent, if any
 * @param failure    {@link Failure#NONE} when the upstream answered
 * @param error      what went wrong without a status, for the record's attempts (e.g. {@code "connect refused"});
 *                   empty when the upstream answered
 */
record DeliveryResult(int status, Optional<String> retryAfter, Failure failure, String error) {
    /** Why an attempt has no status. */
    enum Failure {
        /** The upstream answered: see the status. */
        NONE,
        /** The TCP connect was refused, timed out, or the address did not resolve: nothing was sent. */
        CONNECT_FAILED,
        /** No complete response within the cluster's request timeout. */
        TIMEOUT,
        /** The connection broke before a complete response (reset, closed early, a response that did not parse). */
        RESET,
        /**
         * The attempt never reached an endpoint: no endpoint available, the cluster at its request limit, the cluster
         * missing from the serving config. Nothing of the endpoint's health is learned from it.
         */
        UNAVAILABLE,
        /**
         * The stored request cannot be sent at all (a header the HTTP client refuses): no retry can help, so the
         * record is quarantined at once.
         */
        UNSENDABLE
    }

    DeliveryResult {
        Objects.requireNonNull(retryAfter, "retryAfter");
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(error, "error");
    }

    static DeliveryResult answered(int status, Optional<String> retryAfter) {
        return new DeliveryResult(status, retryAfter, Failure.NONE, "");
    }

    static DeliveryResult failed(Failure failure, String error) {
        if (failure == Failure.NONE) {
            throw new IllegalArgumentException("a failed attempt needs a failure kind");
        }
        return new DeliveryResult(0, Optional.empty(), failure, error);
    }

    /**
     * What the endpoint's passive health learns from this attempt, as the proxy reports it: empty for an answer below
     * 500 (a success) and for an attempt that never reached the endpoint or could not be sent.
     */
    Optional<Endpoint.FailureKind> endpointFailure() {
        return switch (failure) {
            case NONE -> status >= 500 ? Optional.of(Endpoint.FailureKind.SERVER_ERROR) : Optional.empty();
            case CONNECT_FAILED -> Optional.of(Endpoint.FailureKind.CONNECT_FAILED);
            case TIMEOUT -> Optional.of(Endpoint.FailureKind.TIMEOUT);
            case RESET -> Optional.of(Endpoint.FailureKind.RESET);
            case UNAVAILABLE, UNSENDABLE -> Optional.empty();
        };
    }

    /** Whether the endpoint answered with a status (any status). */
    boolean answered() {
        return failure == Failure.NONE;
    }
}
