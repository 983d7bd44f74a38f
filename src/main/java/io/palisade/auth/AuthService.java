package io.palisade.auth;

import io.palisade.time.Ticker;
import java.time.Clock;
import java.util.List;
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
 * // on config reload: build the candidate without touching what serves, then activate it
 * AuthService.View next = auth.prepare(newSettings);
 * auth.activate(List.of(next));            // or List.of(baseline, canary) while both serve
 * }</pre>
 *
 * <p>A {@link View} is one immutable set of consumers, keys and providers. {@link #prepare} builds one with no effect
 * on the views that serve (providers whose settings did not change are shared with them, new ones are created but not
 * started), so a candidate config can be built, probed and discarded. {@link #activate} makes a list of views the
 * serving ones: providers of those views start, providers of no serving view close.
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

    /** Like {@link #authenticate(RoutePolicy, AuthRequest)}, against {@code view} (one the request's snapshot holds). */
    CompletionStage<AuthDecision> authenticate(View view, RoutePolicy policy, AuthRequest request);

    /**
     * Builds the view of {@code next} without changing what serves: providers whose settings equal a serving one's are
     * shared (keeping their key sets, breakers and caches), others are created and not started. Call from the control
     * thread; serialised with {@link #activate}.
     */
    View prepare(AuthSettings next);

    /**
     * Makes {@code serving} the views requests may use, the first being the primary one ({@link #stats},
     * {@link #authenticate(RoutePolicy, AuthRequest)}): their providers start, providers of no serving view close.
     * Views must have been prepared by this service since the last activation that closed any of their providers.
     */
    void activate(List<View> serving);

    /** One immutable set of consumers, API keys and providers, built by {@link #prepare}. */
    interface View {
        AuthSettings settings();
    }

    /**
     * Replaces consumers, keys and providers in one step ({@code activate(List.of(prepare(next)))}): requests already
     * running finish with the view they started with, later ones see only the new one. Providers whose settings did
     * not change keep their key sets, circuit breakers and decision caches.
     */
    default void update(AuthSettings next) {
        activate(List.of(prepare(next)));
    }

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
