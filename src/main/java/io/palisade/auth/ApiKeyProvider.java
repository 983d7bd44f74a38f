package io.palisade.auth;

import io.netty.handler.codec.http.HttpHeaders;
import io.palisade.error.ErrorKind;
import io.palisade.filter.QueryParams;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * API keys from a header (or, when configured, a query parameter). Stateless: the key index lives in the view, so a
 * settings update swaps keys and consumers in one step.
 */
final class ApiKeyProvider implements Provider {
    static final ApiKeyProvider INSTANCE = new ApiKeyProvider();
    private static final Verdict SEVERAL_HEADERS = denied("several API key headers");
    private static final Verdict SEVERAL_PARAMETERS = denied("several API key parameters");
    private static final Verdict MALFORMED_PARAMETER = denied("malformed API key parameter");
    private static final Verdict UNKNOWN_KEY = denied("unknown API key");

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
        Verdict v = decide(request.headers(), request.query(), view);
        if (v == null) {
            return Optional.empty();
        }
        AuthDecision d = v.decision();
        return Optional.of(() -> CompletableFuture.completedFuture(d));
    }

    /**
     * This provider's decision, made on the calling thread: an allowing verdict for a known key (the same object for
     * every request of its consumer), a denial for an unknown, repeated or malformed one, null when the request carries
     * no key. Allocates nothing for a key in the header.
     */
    static Verdict decide(HttpHeaders headers, String query, AuthView view) {
        AuthSettings.ApiKey names = view.settings().apiKey();
        Iterator<? extends CharSequence> fromHeader = headers.valueCharSequenceIterator(names.header());
        String key;
        if (fromHeader.hasNext()) {
            CharSequence first = fromHeader.next();
            if (fromHeader.hasNext()) {
                return SEVERAL_HEADERS;
            }
            key = first.toString().trim();
        } else if (names.query().isPresent()) {
            List<String> fromQuery;
            try {
                fromQuery = QueryParams.values(query, names.query().get());
            } catch (IllegalArgumentException e) {
                return MALFORMED_PARAMETER;
            }
            if (fromQuery.isEmpty()) {
                return null;
            }
            if (fromQuery.size() > 1) {
                return SEVERAL_PARAMETERS;
            }
            key = fromQuery.get(0);
        } else {
            return null;
        }
        Verdict grant = view.apiKeys().lookup(key);
        return grant != null ? grant : UNKNOWN_KEY;
    }

    private static Verdict denied(String reason) {
        return new Verdict(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, reason), null);
    }

    @Override
    public void contribute(AuthStats.Builder stats) {
        // The key count is reported from the view.
    }
}
