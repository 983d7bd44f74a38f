package io.palisade.auth;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One way of authenticating ({@code api_key}, {@code jwt:<name>}, {@code external:<name>}). Providers with state (key
 * sets, breakers, caches) survive {@link AuthService#update} when their settings are unchanged.
 */
interface Provider extends AutoCloseable {

    /** A prepared call: everything it needs was read from the request already. */
    @FunctionalInterface
    interface Attempt {
        CompletionStage<AuthDecision> call();
    }

    String id();

    /** The settings this provider was built from; an update keeps the provider when they are equal. */
    Object settings();

    /**
     * Reads this provider's credentials from the request, synchronously; empty when the request carries none, so the
     * provider is not tried.
     */
    Optional<Attempt> prepare(AuthRequest request, AuthView view);

    /** Starts background work (key set refresh); called once, after the view holding it is published. */
    default void start() {}

    /** Adds this provider's numbers. */
    void contribute(AuthStats.Builder stats);

    @Override
    default void close() {}
}
