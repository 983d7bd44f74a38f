package io.palisade.auth;

import io.netty.handler.codec.http.HttpHeaders;
import io.palisade.error.ErrorKind;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** See {@link AuthService}. */
final class DefaultAuthService implements AuthService {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultAuthService.class);

    private final Ticker ticker;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    /**
     * Made by the first provider that calls out (JWKS, external auth), not at start: the JDK client loads the TLS stack
     * and starts a selector thread, a quarter of a second and a thread that a gateway with API keys only never uses.
     * Guarded by updateLock.
     */
    private HttpCalls http;
    private final RateLimitedLog logLimiter;
    private final LongAdder allowed = new LongAdder();
    private final LongAdder unauthenticated = new LongAdder();
    private final LongAdder forbidden = new LongAdder();
    private final LongAdder unavailable = new LongAdder();

    private final Object updateLock = new Object();
    private volatile AuthView view;
    private volatile boolean closed;
    /** Providers of the serving views, started; guarded by updateLock. */
    private final Set<Provider> live = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Every serving view, primary first; guarded by updateLock. */
    private List<AuthView> serving = List.of();

    DefaultAuthService(AuthSettings settings, Ticker ticker, Clock clock,
                       Optional<ScheduledExecutorService> scheduler) {
        this.ticker = ticker;
        this.clock = clock;
        this.ownsScheduler = scheduler.isEmpty();
        this.scheduler = scheduler.orElseGet(DefaultAuthService::ownScheduler);
        this.logLimiter = RateLimitedLog.every(Duration.ofSeconds(10), LOG, ticker);
        activate(List.of(prepare(settings)));
    }

    private static ScheduledExecutorService ownScheduler() {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "palisade-auth-refresh");
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        return s;
    }

    // ------------------------------------------------------------------------------------------ authenticate

    @Override
    public CompletionStage<AuthDecision> authenticate(RoutePolicy policy, AuthRequest request) {
        return authenticate(view, policy, request);
    }

    @Override
    public CompletionStage<AuthDecision> authenticate(View candidate, RoutePolicy policy, AuthRequest request) {
        AuthView v = (AuthView) candidate;
        Verdict now = authenticateNow(v, policy, request.headers(), request.query(), request.method());
        if (now != null) {
            return CompletableFuture.completedFuture(now.decision());
        }
        CompletionStage<AuthDecision> result;
        try {
            result = decide(v, policy, request);
        } catch (RuntimeException e) {
            logLimiter.warn("internal", "auth failed unexpectedly for " + request.method() + " " + request.path(), e);
            result = CompletableFuture.completedFuture(new AuthDecision.Unavailable("auth", "internal error"));
        }
        return result.whenComplete((d, e) -> count(d));
    }

    /**
     * {@link #authenticate}'s decision when it can be made on the calling thread, without a future: the route tries
     * {@code api_key} first and the request carries an API key. That provider answers at once, and if it allows (and
     * the route's checks pass) no later provider is asked; if it refuses and is the route's only provider, its refusal
     * is the verdict. Null when the request must go through {@link #authenticate}'s general path (which is also where
     * an unexpected failure becomes Unavailable, and is logged).
     */
    Verdict authenticateNow(View candidate, RoutePolicy policy, HttpHeaders headers, String query, String method) {
        List<String> anyOf = policy.anyOf();
        if (anyOf.isEmpty() || !AuthSettings.API_KEY.equals(anyOf.get(0))) {
            return null;
        }
        AuthView v = (AuthView) candidate;
        if (closed) {
            return null;
        }
        Verdict verdict;
        try {
            verdict = ApiKeyProvider.decide(headers, query, v);
            if (verdict == null) {
                return null;
            }
            if (verdict.decision() instanceof AuthDecision.Allowed a) {
                AuthDecision checked = authorize(a, policy, method);
                if (checked != a) {
                    verdict = new Verdict(checked, null);
                }
            }
        } catch (RuntimeException e) {
            return null;
        }
        if (!(verdict.decision() instanceof AuthDecision.Allowed) && anyOf.size() > 1) {
            return null;
        }
        count(verdict.decision());
        return verdict;
    }

    private CompletionStage<AuthDecision> decide(AuthView v, RoutePolicy policy, AuthRequest request) {
        if (!policy.requiresAuth()) {
            return CompletableFuture.completedFuture(new AuthDecision.Allowed(Identity.anonymous(), Map.of()));
        }
        if (closed) {
            return CompletableFuture.completedFuture(new AuthDecision.Unavailable("auth", "auth service closed"));
        }
        List<Prepared> attempts = new ArrayList<>(policy.anyOf().size());
        for (String id : policy.anyOf()) {
            Provider p = v.providers().get(id);
            if (p == null) {
                // A route from a config whose providers are not (or no longer) loaded: cannot decide, so not a 403.
                attempts.add(Prepared.of(id, new AuthDecision.Unavailable(id, "provider not configured")));
                continue;
            }
            try {
                p.prepare(request, v).ifPresent(a -> attempts.add(new Prepared(id, a)));
            } catch (RuntimeException e) {
                logLimiter.warn("prepare:" + id, id + ": reading credentials failed", e);
                attempts.add(Prepared.of(id, new AuthDecision.Unavailable(id, "internal error")));
            }
        }
        if (attempts.isEmpty()) {
            AuthDecision d = policy.anonymous()
                    ? authorize(new AuthDecision.Allowed(Identity.anonymous(), Map.of()), policy, request.method())
                    : new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "no credentials");
            return CompletableFuture.completedFuture(d);
        }
        return next(attempts, 0, policy, request.method(), new Tally());
    }

    /** A provider with its credentials read, ready to be asked. */
    private record Prepared(String id, Provider.Attempt attempt) {
        static Prepared of(String id, AuthDecision d) {
            return new Prepared(id, () -> CompletableFuture.completedFuture(d));
        }
    }

    /** Tries attempts in order; the first allowed decision that passes the route's checks wins. */
    private CompletionStage<AuthDecision> next(List<Prepared> attempts, int i, RoutePolicy policy, String method,
                                               Tally tally) {
        if (i == attempts.size()) {
            return CompletableFuture.completedFuture(tally.verdict());
        }
        String id = attempts.get(i).id();
        CompletionStage<AuthDecision> stage;
        try {
            stage = attempts.get(i).attempt().call();
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        return stage.handle((d, e) -> {
            if (e != null || d == null) {
                logLimiter.warn("call:" + id, id + ": failed unexpectedly", e);
                return (AuthDecision) new AuthDecision.Unavailable(id, "internal error");
            }
            return d instanceof AuthDecision.Allowed a ? authorize(a, policy, method) : d;
        }).thenCompose(d -> {
            if (d instanceof AuthDecision.Allowed) {
                return CompletableFuture.completedFuture(d);
            }
            tally.add(d);
            return next(attempts, i + 1, policy, method, tally);
        });
    }

    /** The route's own checks on an identity a provider vouched for. */
    static AuthDecision authorize(AuthDecision.Allowed a, RoutePolicy policy, String method) {
        Identity who = a.identity();
        if (!policy.methods().isEmpty() && !policy.methods().contains(method)) {
            return forbidden(who, "method " + method + " not permitted");
        }
        if (!policy.groups().isEmpty() && Collections.disjoint(policy.groups(), who.groups())) {
            return forbidden(who, who.consumerId() + " holds none of the route's groups");
        }
        if (!policy.scopes().isEmpty() && !who.scopes().containsAll(policy.scopes())) {
            return forbidden(who, who.consumerId() + " lacks a required scope");
        }
        return a;
    }

    private static AuthDecision.Denied forbidden(Identity who, String reason) {
        return new AuthDecision.Denied(ErrorKind.FORBIDDEN, reason,
                who.isAnonymous() ? Optional.empty() : Optional.of(who.consumerId()));
    }

    /**
     * The answer when no provider allowed: unavailable if any provider could not answer (a dependency failure must
     * not turn into a 403), else forbidden if any identified the caller, else unauthenticated.
     */
    private static final class Tally {
        private AuthDecision.Unavailable unavailable;
        private AuthDecision.Denied forbidden;
        private AuthDecision.Denied unauthenticated;

        void add(AuthDecision d) {
            switch (d) {
                case AuthDecision.Unavailable u -> unavailable = unavailable == null ? u : unavailable;
                case AuthDecision.Denied x when x.kind() == ErrorKind.FORBIDDEN ->
                        forbidden = forbidden == null ? x : forbidden;
                case AuthDecision.Denied x -> unauthenticated = unauthenticated == null ? x : unauthenticated;
                case AuthDecision.Allowed x -> throw new IllegalArgumentException("allowed decisions end the search");
            }
        }

        AuthDecision verdict() {
            if (unavailable != null) {
                return unavailable;
            }
            if (forbidden != null) {
                return forbidden;
            }
            return unauthenticated != null ? unauthenticated
                    : new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "no credentials");
        }
    }

    private void count(AuthDecision d) {
        switch (d) {
            case AuthDecision.Allowed a -> allowed.increment();
            case AuthDecision.Denied x when x.kind() == ErrorKind.FORBIDDEN -> forbidden.increment();
            case AuthDecision.Denied x -> unauthenticated.increment();
            case AuthDecision.Unavailable u -> unavailable.increment();
            case null -> unavailable.increment();
        }
    }

    // ------------------------------------------------------------------------------------------ update

    @Override
    public View prepare(AuthSettings next) {
        synchronized (updateLock) {
            if (closed) {
                throw new IllegalStateException("auth service closed");
            }
            Map<String, Provider> providers = new LinkedHashMap<>();
            providers.put(AuthSettings.API_KEY, ApiKeyProvider.INSTANCE);
            next.mtls().ifPresent(m -> providers.put(AuthSettings.MTLS, new MtlsProvider(m)));
            for (AuthSettings.Jwt jwt : next.jwt().values()) {
                providers.put(jwt.providerId(), reuseOr(jwt.providerId(), jwt, () -> {
                    JwtProvider p = new JwtProvider(jwt, http(), ticker, clock, scheduler);
                    // Reading the serving provider's keys changes nothing of it: the candidate starts with them.
                    if (view != null && view.providers().get(jwt.providerId()) instanceof JwtProvider previous) {
                        p.inheritKeys(previous);
                    }
                    return p;
                }));
            }
            for (AuthSettings.External ext : next.external().values()) {
                providers.put(ext.providerId(), reuseOr(ext.providerId(), ext,
                        () -> new ExternalProvider(ext, http(), ticker)));
            }
            return new AuthView(next, ApiKeyIndex.build(next.consumers()), providers);
        }
    }

    private HttpCalls http() {
        assert Thread.holdsLock(updateLock);
        if (http == null) {
            http = new HttpCalls();
        }
        return http;
    }

    @Override
    public void activate(List<View> next) {
        if (next.isEmpty()) {
            throw new IllegalArgumentException("serving views: none (expected: at least the primary)");
        }
        synchronized (updateLock) {
            if (closed) {
                throw new IllegalStateException("auth service closed");
            }
            List<AuthView> views = next.stream().map(AuthView.class::cast).toList();
            Set<Provider> wanted = Collections.newSetFromMap(new IdentityHashMap<>());
            views.forEach(v -> wanted.addAll(v.providers().values()));
            for (Provider p : wanted) {
                if (live.add(p)) {
                    p.start();
                }
            }
            serving = views;
            view = views.get(0);
            for (Iterator<Provider> it = live.iterator(); it.hasNext(); ) {
                Provider p = it.next();
                if (!wanted.contains(p)) {
                    it.remove();
                    p.close();
                }
            }
        }
    }

    /** A serving provider with the same id and settings, else a new one (not started). */
    private Provider reuseOr(String id, Object settings, java.util.function.Supplier<Provider> factory) {
        for (AuthView v : serving) {
            Provider existing = v.providers().get(id);
            if (existing != null && existing.settings().equals(settings)) {
                return existing;
            }
        }
        return factory.get();
    }

    @Override
    public CompletionStage<Void> refreshKeys() {
        List<CompletableFuture<Void>> fetches = new ArrayList<>();
        for (Provider p : view.providers().values()) {
            if (p instanceof JwtProvider jwt) {
                fetches.add(jwt.refresh());
            }
        }
        return CompletableFuture.allOf(fetches.toArray(CompletableFuture[]::new));
    }

    // ------------------------------------------------------------------------------------------ stats, close

    @Override
    public AuthStats stats() {
        AuthView v = view;
        AuthStats.Builder b = new AuthStats.Builder();
        v.providers().values().forEach(p -> p.contribute(b));
        Map<String, Long> outcomes = Map.of(
                AuthStats.ALLOWED, allowed.sum(),
                AuthStats.UNAUTHENTICATED, unauthenticated.sum(),
                AuthStats.FORBIDDEN, forbidden.sum(),
                AuthStats.UNAVAILABLE, unavailable.sum());
        return b.build(outcomes, v.settings().consumers().size(), v.apiKeys().size());
    }

    /** The provider currently serving {@code id}; for tests that look at breaker state. */
    Optional<Provider> provider(String id) {
        return Optional.ofNullable(view.providers().get(id));
    }

    @Override
    public void close() {
        synchronized (updateLock) {
            if (closed) {
                return;
            }
            closed = true;
            live.forEach(Provider::close);
            live.clear();
            if (http != null) {
                http.close();
            }
        }
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
    }
}
