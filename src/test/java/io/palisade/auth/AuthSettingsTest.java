package io.palisade.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AuthSettingsTest {
    private static final String HASH = "a".repeat(64);

    private static final String FULL = """
            consumers:
              acme:
                groups: [orders-read, orders-write]
                api_keys: [ { sha256: "%s" } ]
            auth:
              api_key: { header: X-Api-Key, query: api_key }
              jwt:
                idp:
                  jwks_url: http://127.0.0.1:7100/.well-known/jwks.json
                  issuer: http://127.0.0.1:7100
                  audiences: [orders-api]
                  clock_skew: 30s
                  fetch: { timeout: 1s, refresh: 5m }
                  consumer_claim: sub
                  groups_claim: groups
              external:
                policy:
                  url: http://127.0.0.1:7000/check
                  timeout: 200ms
                  max_in_flight: 64
                  cache: { allow_ttl: 30s, deny_ttl: 5s, serve_stale_for: 5m, max_entries: 100000 }
                  forward_headers: [Authorization, X-Tenant]
            routes:
              - match: { path_prefix: /orders }
                cluster: orders
                auth: { any_of: [api_key, jwt:idp], groups: [orders-read], anonymous: false }
              - match: { path_prefix: /ops }
                cluster: ops
                auth: { any_of: [external:policy] }
              - match: { path_prefix: /public }
                cluster: ops
            """.formatted(HASH);

    @Test
    void documentedExample_parsesWithDefaults() {
        Yaml y = Yaml.of(FULL);
        RoutePolicy orders = y.route(0);
        RoutePolicy ops = y.route(1);
        RoutePolicy open = y.route(2);
        assertThat(y.errors()).isEmpty();

        AuthSettings s = y.settings;
        assertThat(s.consumers()).containsOnlyKeys("acme");
        assertThat(s.consumers().get("acme").groups()).containsExactlyInAnyOrder("orders-read", "orders-write");
        assertThat(s.consumers().get("acme").apiKeySha256()).containsExactly(HASH);
        assertThat(s.apiKey()).isEqualTo(new AuthSettings.ApiKey("X-Api-Key", Optional.of("api_key")));
        assertThat(s.providerIds()).containsExactly("api_key", "jwt:idp", "external:policy");

        AuthSettings.Jwt jwt = s.jwt().get("idp");
        assertThat(jwt.jwksUrl()).contains(URI.create("http://127.0.0.1:7100/.well-known/jwks.json"));
        assertThat(jwt.fetchTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(jwt.refresh()).isEqualTo(Duration.ofMinutes(5));
        assertThat(jwt.minFetchInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(jwt.algorithms()).containsExactlyInAnyOrder("RS256", "ES256", "EdDSA");
        assertThat(jwt.hs256Secret()).isEmpty();
        assertThat(jwt.scopesClaim()).isEqualTo("scope");

        AuthSettings.External ext = s.external().get("policy");
        assertThat(ext.timeout()).isEqualTo(Duration.ofMillis(200));
        assertThat(ext.forwardHeaders()).containsExactly("Authorization", "X-Tenant");
        assertThat(ext.cache()).isEqualTo(new AuthSettings.DecisionCache(Duration.ofSeconds(30),
                Duration.ofSeconds(5), Duration.ofMinutes(5), 100_000));
        assertThat(ext.breaker()).isEqualTo(new AuthSettings.Breaker(5, 0.5, 20, Duration.ofSeconds(10)));

        assertThat(orders.anyOf()).containsExactly("api_key", "jwt:idp");
        assertThat(orders.groups()).containsExactly("orders-read");
        assertThat(orders.anonymous()).isFalse();
        assertThat(orders.forwardCredentials()).isFalse();
        assertThat(ops.anyOf()).containsExactly("external:policy");
        assertThat(open).isEqualTo(RoutePolicy.none());
        assertThat(open.requiresAuth()).isFalse();
    }

    @Test
    void sameYaml_parsesToEqualSettings() {
        assertThat(Yaml.valid(FULL)).isEqualTo(Yaml.valid(FULL));
    }

    @Test
    void missingExternalTimeout_isRefused() {
        Yaml y = Yaml.of("""
                auth:
                  external:
                    policy: { url: http://127.0.0.1:7000/check }
                """);
        assertThat(y.errors()).containsExactly(
                "auth.external.policy.timeout: missing (expected: a finite duration like 250ms, 5s)");
    }

    @Test
    void zeroAndInfiniteTimeouts_areRefused() {
        Yaml y = Yaml.of("""
                auth:
                  jwt:
                    idp:
                      jwks_url: http://127.0.0.1:7100/jwks
                      issuer: me
                      audiences: [api]
                      fetch: { timeout: 0s }
                  external:
                    policy: { url: http://127.0.0.1:7000/check, timeout: infinite }
                """);
        assertThat(y.errors()).containsExactly(
                "auth.jwt.idp.fetch.timeout: 0s (expected: > 0)",
                "auth.external.policy.timeout: infinite (expected: a duration like 250ms, 5s, 2m, 1h)");
    }

    @Test
    void unknownKeys_areRefused() {
        Yaml y = Yaml.of("""
                auth:
                  api_key: { haeder: X-Key }
                  external:
                    policy: { url: http://127.0.0.1:7000/check, timout: 200ms, timeout: 1s, breaker: { open: 1s } }
                """);
        assertThat(y.errors()).containsExactly(
                "auth.api_key.haeder: unknown key (expected one of: header, query)",
                "auth.external.policy.timout: unknown key (expected one of: breaker, cache, forward_headers, "
                        + "max_in_flight, timeout, url)",
                "auth.external.policy.breaker.open: unknown key (expected one of: consecutive_failures, "
                        + "failure_ratio, open_for, window)");
    }

    @Test
    void badAndDuplicateKeyHashes_areRefused() {
        Yaml y = Yaml.of("""
                consumers:
                  acme: { api_keys: [ { sha256: abc } ] }
                  bob: { api_keys: [ { sha256: "%s" } ] }
                  carol: { api_keys: [ { sha256: "%s" } ] }
                """.formatted(HASH, HASH.toUpperCase()));
        assertThat(y.errors()).containsExactly(
                "consumers.acme.api_keys[0].sha256: 3 characters, not shown "
                        + "(expected: 64 hex digits, the SHA-256 of the key; "
                        + "`bin/palisade keys new` prints one)",
                "consumers.carol.api_keys[0].sha256: same key as consumers.bob.api_keys[0].sha256 "
                        + "(expected: each key belongs to one consumer)");
    }

    @Test
    void jwtProblems_areReportedWithoutEchoingTheSecret() {
        Yaml y = Yaml.of("""
                auth:
                  jwt:
                    idp:
                      algorithms: [RS256, HS256, none]
                    own:
                      issuer: me
                      audiences: [api]
                      algorithms: [HS256]
                      hs256_secret: hunter2
                """);
        assertThat(y.errors()).containsExactly(
                "auth.jwt.idp.algorithms[1]: HS256 (expected: an algorithm other than HS256 unless hs256_secret "
                        + "is set)",
                "auth.jwt.idp.algorithms[2]: none (expected: one of RS256, ES256, EdDSA, HS256)",
                "auth.jwt.idp.jwks_url: missing (expected: an http:// or https:// URL)",
                "auth.jwt.idp.issuer: missing (expected: a value)",
                "auth.jwt.idp.audiences: missing (expected: one or more audiences; a token for another service "
                        + "must not pass)",
                "auth.jwt.own.hs256_secret: too short: 7 bytes (expected: at least 32 bytes)");
        assertThat(String.join("\n", y.errors())).doesNotContain("hunter2");
    }

    @Test
    void emptyIssuer_isRefused() {
        Yaml y = Yaml.of("""
                auth:
                  jwt:
                    idp: { jwks_url: "http://127.0.0.1:1/jwks", issuer: "", audiences: [api] }
                """);
        assertThat(y.errors())
                .containsExactly("auth.jwt.idp.issuer: \"\" (expected: the issuer's exact iss, not empty)");
    }

    @Test
    void hmacOnlyIssuer_needsNoKeySetUrl() {
        AuthSettings s = Yaml.valid("""
                auth:
                  jwt:
                    own:
                      issuer: me
                      audiences: [api]
                      algorithms: [HS256]
                      hs256_secret: "0123456789abcdef0123456789abcdef"
                """);
        AuthSettings.Jwt own = s.jwt().get("own");
        assertThat(own.jwksUrl()).isEmpty();
        assertThat(own.algorithms()).containsExactly("HS256");
        assertThat(own.toString()).doesNotContain("0123456789abcdef");
    }

    @Test
    void routeProblems_areReported() {
        Yaml y = Yaml.of("""
                consumers:
                  acme: { groups: [orders-read] }
                auth:
                  jwt:
                    idp: { jwks_url: "http://127.0.0.1:1/jwks", issuer: me, audiences: [api] }
                routes:
                  - auth: { any_of: [api_key, jwt:nope, api_key] }
                  - auth: { any_of: [api_key], groups: [orders-read, admins] }
                  - auth: { any_of: [jwt:idp], groups: [admins] }
                  - auth: { groups: [orders-read] }
                  - auth: { any_of: [api_key], scopes: [orders:read] }
                  - auth: { any_of: [jwt:idp], scopes: [orders:read], anonymous: true, methods: [get, "P OST"] }
                  - auth: { any_of: [] }
                """);
        for (int i = 0; i < 7; i++) {
            y.route(i);
        }
        assertThat(y.errors()).containsExactly(
                "routes[0].auth.any_of[1]: jwt:nope (expected: one of api_key, jwt:idp)",
                "routes[0].auth.any_of[2]: api_key (expected: each provider once)",
                "routes[1].auth.groups[1]: admins (expected: a group some consumer has; with only api_key, "
                        + "groups come from consumers)",
                "routes[3].auth.any_of: missing (expected: a list of providers like [api_key, jwt:idp])",
                "routes[4].auth.scopes: [\"orders:read\"] (expected: a jwt provider in any_of; only tokens carry "
                        + "scopes)",
                "routes[5].auth.methods[1]: P OST (expected: an HTTP method like GET)",
                "routes[5].auth.anonymous: true (expected: false when groups or scopes are set; anonymous callers "
                        + "hold none)",
                "routes[6].auth.any_of: [] (expected: one or more providers)");
    }

    @Test
    void routeOptions_areRead() {
        Yaml y = Yaml.of("""
                auth:
                  api_key: { header: X-Key }
                  jwt:
                    idp: { jwks_url: "http://127.0.0.1:1/jwks", issuer: me, audiences: [api] }
                routes:
                  - auth: { any_of: [jwt:idp, api_key], scopes: [orders:read], methods: [get, HEAD],
                            forward_credentials: true }
                """);
        RoutePolicy p = y.route(0);
        assertThat(y.errors()).isEmpty();
        assertThat(p.anyOf()).containsExactly("jwt:idp", "api_key");
        assertThat(p.scopes()).containsExactly("orders:read");
        assertThat(p.methods()).containsExactlyInAnyOrder("GET", "HEAD");
        assertThat(p.forwardCredentials()).isTrue();
        assertThat(p.apiKey()).isEqualTo(new AuthSettings.ApiKey("X-Key", Optional.empty()));
    }

    @Test
    void emptyConfig_hasOnlyTheApiKeyProvider() {
        AuthSettings s = Yaml.valid("routes: []");
        assertThat(s.providerIds()).containsExactly("api_key");
        assertThat(s.consumers()).isEmpty();
        assertThat(s).isEqualTo(AuthSettings.empty());
        assertThat(Set.copyOf(s.jwt().keySet())).isEmpty();
        assertThat(List.copyOf(s.external().values())).isEmpty();
    }
}
