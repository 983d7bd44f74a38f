package io.palisade.auth;

import java.util.Objects;
import java.util.Set;

/**
 * Who a request was authenticated as.
 *
 * @param consumerId the configured consumer id, or the token's or auth service's own identity when it names no
 *                   configured consumer; {@code anonymous} for anonymous callers
 * @param groups     the groups the identity holds (a configured consumer's groups plus any the token or auth service
 *                   asserted)
 * @param provider   which provider vouched: {@code api_key}, {@code jwt:<name>}, {@code external:<name>} or
 *                   {@code anonymous}
 * @param scopes     OAuth scopes the token carried; empty for other providers
 */
public record Identity(String consumerId, Set<String> groups, String provider, Set<String> scopes) {
    public static final String ANONYMOUS = "anonymous";
    private static final Identity ANONYMOUS_IDENTITY = new Identity(ANONYMOUS, Set.of(), ANONYMOUS, Set.of());

    public Identity {
        Objects.requireNonNull(consumerId, "consumerId");
        Objects.requireNonNull(provider, "provider");
        groups = Set.copyOf(groups);
        scopes = Set.copyOf(scopes);
    }

    public Identity(String consumerId, Set<String> groups, String provider) {
        this(consumerId, groups, provider, Set.of());
    }

    /** The identity of a caller on a route that needs none or allows anonymous access. */
    public static Identity anonymous() {
        return ANONYMOUS_IDENTITY;
    }

    public boolean isAnonymous() {
        return ANONYMOUS.equals(provider);
    }
}
