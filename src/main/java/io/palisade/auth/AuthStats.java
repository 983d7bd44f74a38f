package io.palisade.auth;

import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot of auth numbers for metrics.
 *
 * @param outcomes decisions since start by outcome: {@code allowed}, {@code unauthenticated}, {@code forbidden},
 *                 {@code unavailable}
 * @param consumers configured consumers
 * @param apiKeys   configured API keys
 * @param external  per external provider id ({@code external:<name>})
 * @param jwks      per JWT provider id with a key set ({@code jwt:<name>})
 */
public record AuthStats(Map<String, Long> outcomes, int consumers, int apiKeys, Map<String, External> external,
                        Map<String, Jwks> jwks) {
    public static final String ALLOWED = "allowed";
    public static final String UNAUTHENTICATED = "unauthenticated";
    public static final String FORBIDDEN = "forbidden";
    public static final String UNAVAILABLE = "unavailable";

    public AuthStats {
        outcomes = Map.copyOf(outcomes);
        external = Map.copyOf(external);
        jwks = Map.copyOf(jwks);
    }

    /**
     * @param cacheEntries decisions cached now (approximate)
     * @param inFlight     calls running now
     * @param staleServed  decisions answered from a stale cache entry since start
     * @param calls        calls made to the service since start
     */
    public record External(BreakerState breaker, long cacheEntries, int inFlight, long staleServed, long calls) {}

    /**
     * @param keys     usable keys in the current key set (0 when none was ever loaded)
     * @param fetches  key set fetches since start
     * @param failures failed fetches since start
     */
    public record Jwks(int keys, long fetches, long failures) {}

    static final class Builder {
        private final Map<String, External> external = new TreeMap<>();
        private final Map<String, Jwks> jwks = new TreeMap<>();

        void external(String id, BreakerState breaker, long cacheEntries, int inFlight, long staleServed, long calls) {
            external.put(id, new External(breaker, cacheEntries, inFlight, staleServed, calls));
        }

        void jwks(String id, int keys, long fetches, long failures) {
            jwks.put(id, new Jwks(keys, fetches, failures));
        }

        AuthStats build(Map<String, Long> outcomes, int consumers, int apiKeys) {
            return new AuthStats(outcomes, consumers, apiKeys, external, jwks);
        }
    }
}
