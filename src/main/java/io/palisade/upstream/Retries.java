package io.palisade.upstream;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The retry and failover decision for one request, next to the retry budget it draws on: whether an attempt that
 * failed may be made again, and where the next attempt goes. Made at the request's first failed attempt (most requests
 * never need one), used on the request's event loop, and {@linkplain #release() released} when the request ends.
 *
 * <pre>{@code
 * // the attempt on endpoint failed; nothing of the response has reached the client
 * if (Retries.resendable(nothingSent, idempotent, bodyStreamed, false)) {
 *     if (retries == null) {
 *         retries = Retries.start(cluster).orElse(null);       // cluster: the one the first attempt went to
 *     }
 *     if (retries != null && retries.take(endpoint)) {
 *         Optional<Pick> next = retries.next(primary, hashKey, endpoint);   // empty: 503 no_healthy_upstream
 *         ...
 *     }
 * }
 * ...
 * if (retries != null) retries.release();                      // when the request ends, however it ends
 * }</pre>
 */
public final class Retries {
    private final Cluster budget;
    private int left;
    /** The endpoints that failed this request, in order; a few at most (the configured attempts bound it). */
    private final List<Endpoint> failed = new ArrayList<>(3);
    private boolean released;

    private Retries(Cluster budget, int left) {
        this.budget = budget;
        this.left = left;
    }

    /**
     * Whether a failed attempt may be sent again at all: never once the response began, nor once request body bytes
     * were streamed upstream (the gateway keeps no copy to replay); after any part of it was sent only for an
     * idempotent method (RFC 9110 §9.2.2), since the upstream may have acted on it already.
     *
     * @param nothingSent the attempt failed before a byte of it left (a refused or timed-out connect)
     */
    public static boolean resendable(boolean nothingSent, boolean idempotent, boolean bodyStreamed,
                                     boolean responseStarted) {
        return !responseStarted && !bodyStreamed && (nothingSent || idempotent);
    }

    /**
     * The retries of a request whose first attempt went to {@code cluster}: as many as its {@code retries.attempts},
     * with a place in its retry budget held until {@link #release()}. Empty when the cluster allows no retry or its
     * budget is spent (the refusal is counted on the cluster); the request then fails with its attempt's error.
     */
    public static Optional<Retries> start(Cluster cluster) {
        int attempts = cluster.config().retries().attempts();
        if (attempts <= 0 || !cluster.tryAcquireRetry()) {
            return Optional.empty();
        }
        return Optional.of(new Retries(cluster, attempts));
    }

    /** Takes one retry after {@code failedEndpoint} failed an attempt; false when none is left. */
    public boolean take(Endpoint failedEndpoint) {
        if (left <= 0) {
            return false;
        }
        left--;
        failed.add(failedEndpoint);
        return true;
    }

    /**
     * Where the retry goes: an endpoint of {@code primary} other than {@code avoid} when one is available (or, with
     * none available, of its failover chain, as any pick); once every endpoint that pick can offer has failed this
     * request, the failover cluster of the one it came from, unless that offers only failed endpoints too. Empty when
     * no cluster in the chain has an available endpoint.
     *
     * @param primary the route's cluster, where every attempt starts
     * @param avoid   the endpoint that failed the last attempt
     */
    public Optional<Pick> next(Cluster primary, String hashKey, Endpoint avoid) {
        Optional<Pick> choice = primary.pick(hashKey, avoid);
        if (choice.isPresent() && failed.contains(choice.get().endpoint())) {
            Optional<Pick> alternative = failoverPick(choice.get().cluster(), hashKey);
            if (alternative.isPresent()) {
                return alternative;
            }
        }
        return choice;
    }

    private Optional<Pick> failoverPick(Cluster from, String hashKey) {
        Cluster next = from.failoverCluster();
        if (next == null) {
            return Optional.empty();
        }
        Optional<Pick> pick = next.pick(hashKey);
        return pick.isPresent() && !failed.contains(pick.get().endpoint()) ? pick : Optional.empty();
    }

    /** Whether {@code endpoint} failed an attempt of this request. */
    public boolean hasFailed(Endpoint endpoint) {
        return failed.contains(endpoint);
    }

    /** Retries left to take. */
    public int left() {
        return left;
    }

    /** Gives the place in the retry budget back; once, however often it is called. */
    public void release() {
        if (!released) {
            released = true;
            budget.releaseRetry();
        }
    }
}
