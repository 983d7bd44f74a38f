package io.palisade.auth;

import java.util.Map;

/**
 * Everything a request is authenticated against, built whole and published through one volatile reference: a
 * request reads the reference once and sees one consistent set of consumers, keys and providers, never a half-built
 * one (seed 000).
 */
record AuthView(AuthSettings settings, ApiKeyIndex apiKeys, Map<String, Provider> providers)
        implements AuthService.View {
    AuthView {
        providers = Map.copyOf(providers);
    }
}
