package io.palisade.auth;

import io.palisade.time.Ticker;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Authenticates requests for routes. Nothing here blocks the calling thread: {@link #authenticate} returns at once
 * with a stage that completes, on any thread, within the deadlines of the providers it tries; callers hop back to
 * their event loop.
 *
 * <pre>{@code
 * AuthService auth = AuthService.create(settings, Ticker.system(), Clock.systemUTC());
 * auth.authenticate(route.policy(), new AuthRequest("GET", "/orders/7", "", headers, "10.0.0.5"))
 *     .whenComplete((decision, error) -> ctx.executor().execute(() -> continueWith(decision)));
 * // on config reload:
 * auth.update(newSettings);
 * }</pre>
 *
 * <p>Call {@link #authenticate} for every route, including those with {@link RoutePolicy#none()}, and pass every
 * {@link AuthDecision.Allowed} to {@link AuthHeaders#applyUpstream}, so client-sent {@code X-Consumer-*} headers are
 * always removed.
 */
public interface AuthService extends AutoCloseable {

    /**
     * Decides whether {@code request} may use a route with {@code policy}. The stage never completes exceptionally:
     * a failure inside auth is {@link AuthDecision.Unavailable}.
     */
    CompletionStage<AuthDecision> authenticate(RoutePolicy policy, AuthRequest request);

    /**
     * Replaces consumers, keys and providers in one step: requests already running finish with the view they
     * started with, later ones see only the new one. Providers whose settings did not change keep their key sets,
     * circuit breakers and decision caches. Call from one control thread at a time (calls are serialised).
     */
    void update(AuthSettings next);

    /**
     * Fetches every JWT provider's key set now; completes when all fetches ended, successful or not (a failed
     * fetch keeps the last good key set). The same happens in the background every {@code fetch.refresh}.
     */
    CompletionStage<Void> refreshKeys();

    AuthStats stats();

    /** Stops background refreshes and outbound calls; later requests are Unavailable. */
    @Override
    void close();

    static AuthService create(AuthSettings settings, Ticker ticker, Clock clock) {
        return builder(settings).ticker(ticker).clock(clock).build();
    }

    static Builder builder(AuthSettings settings) {
        return new Builder(settings);
    }

    /** Options of an {@link AuthService}; only the settings are required. */
    final class Builder {
        private final AuthSettings settings;
        private Ticker ticker = Ticker.system();
        private Clock clock = Clock.systemUTC();
        private Optional<ScheduledExecutorService> scheduler = Optional.empty();

        private Builder(AuthSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
        }

        /** Monotonic time for breakers, caches and fetch rate limits. */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** Wall-clock time for token expiry. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Runs background key set refreshes (the tasks only start non-blocking fetches). Not shut down by
         * {@link AuthService#close()}; without one, the service makes and owns a single daemon thread.
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = Optional.of(scheduler);
            return this;
        }

        public AuthService build() {
            return new DefaultAuthService(settings, ticker, clock, scheduler);
        }
    }
}
