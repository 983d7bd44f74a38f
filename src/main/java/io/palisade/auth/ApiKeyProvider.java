package io.palisade.auth;

import io.palisade.error.ErrorKind;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * API keys from a header (or, when configured, a query parameter). Stateless: the key index lives in the view, so a
 * settings update swaps keys and consumers in one step.
 */
final class ApiKeyProvider implements Provider {
    static final ApiKeyProvider INSTANCE = new ApiKeyProvider();

    private ApiKeyProvider() {}

    @Override
    public String id() {
        return AuthSettings.API_KEY;
    }

    @Override
    public Object settings() {
        return AuthSettings.API_KEY;
    }

    @Override
    public Optional<Attempt> prepare(AuthRequest request, AuthView view) {
        AuthSettings.ApiKey names = view.settings().apiKey();
        List<String> fromHeader = request.headers().getAll(names.header());
        String key;
        if (fromHeader.size() > 1) {
            return done(denied("several API key headers"));
        } else if (fromHeader.size() == 1) {
            key = fromHeader.get(0).trim();
        } else if (names.query().isPresent()) {
            List<String> fromQuery;
            try {
                fromQuery = QueryParams.values(request.query(), names.query().get());
            } catch (IllegalArgumentException e) {
                return done(denied("malformed API key parameter"));
            }
            if (fromQuery.isEmpty()) {
                return Optional.empty();
            }
            if (fromQuery.size() > 1) {
                return done(denied("several API key parameters"));
            }
            key = fromQuery.get(0);
        } else {
            return Optional.empty();
        }
        AuthDecision decision = view.apiKeys().lookup(key)
                .<AuthDecision>map(c -> new AuthDecision.Allowed(new Identity(c.id(), c.groups(), id()), Map.of()))
                .orElseGet(() -> denied("unknown API key"));
        return done(decision);
    }

    private static AuthDecision denied(String reason) {
        return new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, reason);
    }

    private static Optional<Attempt> done(AuthDecision decision) {
        return Optional.of(() -> CompletableFuture.completedFuture(decision));
    }

    @Override
    public void contribute(AuthStats.Builder stats) {
        // The key count is reported from the view.
    }
}
