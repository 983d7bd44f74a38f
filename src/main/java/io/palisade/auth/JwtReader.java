package io.palisade.auth;

import static io.palisade.auth.AuthSettings.EDDSA;
import static io.palisade.auth.AuthSettings.ES256;
import static io.palisade.auth.AuthSettings.HS256;
import static io.palisade.auth.AuthSettings.RS256;

import io.palisade.config.ConfigNode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Reads one {@code auth.jwt.<name>} issuer. */
final class JwtReader {
    static final Set<String> JWT_KEYS = Set.of("jwks_url", "issuer", "audiences", "clock_skew", "fetch",
            "consumer_claim", "groups_claim", "scopes_claim", "algorithms", "hs256_secret");
    static final Set<String> FETCH_KEYS = Set.of("timeout", "refresh", "min_interval");
    private static final List<String> ALGORITHMS = List.of(RS256, ES256, EDDSA, HS256);
    private static final int MIN_HS256_SECRET_BYTES = 32;

    private JwtReader() {}

    static AuthSettings.Jwt read(String name, ConfigNode node) {
        node.expectObject();
        node.rejectUnknown(JWT_KEYS);
        Optional<AuthSettings.Secret> secret = Optional.empty();
        ConfigNode secretNode = node.get("hs256_secret");
        Optional<String> secretText = secretNode.optString();
        if (secretText.isPresent()) {
            byte[] bytes = secretText.get().getBytes(StandardCharsets.UTF_8);
            if (bytes.length < MIN_HS256_SECRET_BYTES) {
                // Not `invalid`: the message would echo the secret into logs.
                secretNode.error("too short: " + bytes.length + " bytes (expected: at least " + MIN_HS256_SECRET_BYTES
                        + " bytes)");
            } else {
                secret = Optional.of(new AuthSettings.Secret(bytes));
            }
        }
        Set<String> algorithms = algorithms(node.get("algorithms"), secretText.isPresent(), secretNode);

        Optional<URI> jwksUrl = Optional.empty();
        ConfigNode urlNode = node.get("jwks_url");
        boolean hmacOnly = algorithms.equals(Set.of(HS256));
        if (urlNode.isPresent() || !hmacOnly) {
            jwksUrl = AuthConfigValues.httpUrl(urlNode);
        }
        ConfigNode issuerNode = node.get("issuer");
        String issuer = issuerNode.requiredString();
        if (issuerNode.isPresent() && issuer.isEmpty()) {
            // Every token would be refused as "wrong issuer": a silent wall of 401s.
            issuerNode.invalid("the issuer's exact iss, not empty");
        }
        ConfigNode audNode = node.get("audiences");
        Set<String> audiences = new LinkedHashSet<>(audNode.stringList());
        if (audiences.isEmpty() || audiences.contains("")) {
            audNode.invalid("one or more audiences; a token for another service must not pass");
        }
        Duration skew = node.get("clock_skew").duration(Duration.ofSeconds(30), Duration.ofMinutes(5));

        ConfigNode fetch = node.get("fetch");
        fetch.expectObject();
        fetch.rejectUnknown(FETCH_KEYS);
        Duration timeout = fetch.get("timeout").duration(Duration.ofSeconds(2), AuthConfigValues.MAX_TIMEOUT);
        Duration refresh = fetch.get("refresh").duration(Duration.ofMinutes(5), Duration.ofDays(1));
        Duration minInterval = fetch.get("min_interval").duration(Duration.ofSeconds(10), Duration.ofHours(1));

        String consumerClaim = claimName(node.get("consumer_claim"), "sub");
        String groupsClaim = claimName(node.get("groups_claim"), "groups");
        String scopesClaim = claimName(node.get("scopes_claim"), "scope");
        return new AuthSettings.Jwt(name, jwksUrl, issuer, audiences, skew, timeout, refresh, minInterval,
                consumerClaim, groupsClaim, scopesClaim, algorithms, secret);
    }

    private static Set<String> algorithms(ConfigNode node, boolean hasSecret, ConfigNode secretNode) {
        if (!node.isPresent()) {
            return hasSecret ? Set.of(RS256, ES256, EDDSA, HS256) : Set.of(RS256, ES256, EDDSA);
        }
        List<ConfigNode> elements = node.isTextual() ? List.of(node) : node.elements();
        if (elements.isEmpty()) {
            node.invalid("one or more of " + String.join(", ", ALGORITHMS));
            return Set.of(RS256);
        }
        Set<String> out = new LinkedHashSet<>();
        for (ConfigNode a : elements) {
            String v = a.optString().orElse("");
            Optional<String> known = ALGORITHMS.stream().filter(k -> k.equalsIgnoreCase(v)).findFirst();
            if (known.isEmpty()) {
                a.invalid("one of " + String.join(", ", ALGORITHMS));
            } else if (known.get().equals(HS256) && !hasSecret) {
                a.invalid("an algorithm other than HS256 unless hs256_secret is set");
            } else {
                out.add(known.get());
            }
        }
        if (hasSecret && !out.contains(HS256)) {
            secretNode.error("set but unused (expected: HS256 in algorithms, or no hs256_secret)");
        }
        return out.isEmpty() ? Set.of(RS256) : out;
    }

    private static String claimName(ConfigNode node, String defaultValue) {
        String v = node.string(defaultValue);
        if (v.isEmpty() || !Names.isPrintableToken(v, 64)) {
            node.invalid("a claim name");
            return defaultValue;
        }
        return v;
    }
}
