package io.palisade.auth;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a route demands of its callers; built by {@link AuthSettings#parseRoute}.
 *
 * @param anyOf              providers tried in this order, for those whose credentials the request carries; the
 *                           first that allows wins; empty means no auth at all
 * @param groups             when not empty, the identity must hold at least one of these groups, else FORBIDDEN
 * @param scopes             when not empty, the token must carry all of these scopes, else FORBIDDEN
 * @param methods            when not empty, an allowed caller may use only these methods, else FORBIDDEN
 * @param anonymous          a request with no credentials at all is allowed as {@link Identity#anonymous()};
 *                           credentials that are present are still checked, and bad ones are refused
 * @param forwardCredentials pass the API key and the {@code Authorization} header upstream instead of removing them
 * @param apiKey             where API keys are read from, so {@link AuthHeaders} knows what to strip
 */
public record RoutePolicy(List<String> anyOf, Set<String> groups, Set<String> scopes, Set<String> methods,
                          boolean anonymous, boolean forwardCredentials, AuthSettings.ApiKey apiKey) {
    private static final RoutePolicy NONE = new RoutePolicy(List.of(), Set.of(), Set.of(), Set.of(), true, true,
            new AuthSettings.ApiKey("X-Api-Key", Optional.empty()));

    public RoutePolicy {
        anyOf = List.copyOf(anyOf);
        groups = Set.copyOf(groups);
        scopes = Set.copyOf(scopes);
        methods = Set.copyOf(methods);
        Objects.requireNonNull(apiKey, "apiKey");
    }

    /** No authentication: every request is allowed as anonymous, and no credential is stripped. */
    public static RoutePolicy none() {
        return NONE;
    }

    public boolean requiresAuth() {
        return !anyOf.isEmpty();
    }
}
