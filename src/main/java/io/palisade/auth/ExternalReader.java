package io.palisade.auth;

import io.palisade.config.ConfigNode;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** Reads one {@code auth.external.<name>} auth service: its deadline, bulkhead, decision cache and breaker. */
final class ExternalReader {
    static final Set<String> EXTERNAL_KEYS = Set.of("url", "timeout", "max_in_flight", "cache", "forward_headers",
            "breaker");
    static final Set<String> CACHE_KEYS = Set.of("allow_ttl", "deny_ttl", "serve_stale_for", "max_entries");
    static final Set<String> BREAKER_KEYS = Set.of("consecutive_failures", "failure_ratio", "window", "open_for");

    private ExternalReader() {}

    /** The service; its {@code timeout} has no default, so a config without one is refused. */
    static AuthSettings.External read(String name, ConfigNode node) {
        node.expectObject();
        node.rejectUnknown(EXTERNAL_KEYS);
        URI url = AuthConfigValues.httpUrl(node.get("url")).orElse(URI.create("http://127.0.0.1/"));
        Duration timeout = node.get("timeout").requiredDuration(AuthConfigValues.MAX_TIMEOUT);
        int maxInFlight = node.get("max_in_flight").intValue(64, 1, 100_000);

        ConfigNode cache = node.get("cache");
        cache.expectObject();
        cache.rejectUnknown(CACHE_KEYS);
        AuthSettings.DecisionCache decisionCache = new AuthSettings.DecisionCache(
                cache.get("allow_ttl").duration(Duration.ofSeconds(30), Duration.ofDays(1)),
                cache.get("deny_ttl").duration(Duration.ofSeconds(5), Duration.ofDays(1)),
                cache.get("serve_stale_for").duration(Duration.ofMinutes(5), Duration.ofDays(1)),
                cache.get("max_entries").longValue(100_000, 0, 10_000_000));

        List<String> forward = AuthConfigValues.names(node.get("forward_headers"), Names.HEADER_NAME,
                "a header name");

        ConfigNode breaker = node.get("breaker");
        breaker.expectObject();
        breaker.rejectUnknown(BREAKER_KEYS);
        AuthSettings.Breaker b = new AuthSettings.Breaker(
                breaker.get("consecutive_failures").intValue(5, 1, 10_000),
                breaker.get("failure_ratio").ratio(0.5),
                breaker.get("window").intValue(20, 2, 10_000),
                breaker.get("open_for").duration(Duration.ofSeconds(10), Duration.ofMinutes(10)));
        if (b.failureRatio() == 0.0) {
            breaker.get("failure_ratio").invalid("> 0%");
        }
        return new AuthSettings.External(name, url, timeout, maxInFlight, decisionCache, forward, b);
    }
}
