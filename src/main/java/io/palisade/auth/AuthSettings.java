package io.palisade.auth;

import io.palisade.config.ConfigNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The immutable, validated {@code consumers:} and {@code auth:} sections of the config.
 *
 * <pre>{@code
 * ConfigErrors errors = new ConfigErrors();
 * ConfigNode root = new ConfigNode(yamlTree, "", errors);
 * AuthSettings auth = AuthSettings.parse(root);
 * RoutePolicy policy = AuthSettings.parseRoute(root.get("routes").elements().get(0).get("auth"), auth);
 * errors.throwIfAny();
 * }</pre>
 *
 * <p>Every outbound wait has a finite deadline: {@code jwt.*.fetch.timeout} defaults to 2s, and
 * {@code external.*.timeout} has no default, so a config without it is refused. Unknown keys are errors.
 */
public final class AuthSettings {
    /** Provider id of API key authentication. */
    public static final String API_KEY = "api_key";
    static final String JWT_PREFIX = "jwt:";
    static final String EXTERNAL_PREFIX = "external:";

    static final String RS256 = "RS256";
    static final String ES256 = "ES256";
    static final String EDDSA = "EdDSA";
    static final String HS256 = "HS256";
    private static final List<String> ALGORITHMS = List.of(RS256, ES256, EDDSA, HS256);

    // The keys of each mapping, in one place so a test can hold the JSON Schema to them.
    static final Set<String> AUTH_KEYS = Set.of("api_key", "jwt", "external");
    static final Set<String> CONSUMER_KEYS = Set.of("groups", "api_keys");
    static final Set<String> API_KEY_HASH_KEYS = Set.of("sha256");
    static final Set<String> API_KEY_KEYS = Set.of("header", "query");
    static final Set<String> JWT_KEYS = Set.of("jwks_url", "issuer", "audiences", "clock_skew", "fetch",
            "consumer_claim", "groups_claim", "scopes_claim", "algorithms", "hs256_secret");
    static final Set<String> FETCH_KEYS = Set.of("timeout", "refresh", "min_interval");
    static final Set<String> EXTERNAL_KEYS = Set.of("url", "timeout", "max_in_flight", "cache", "forward_headers",
            "breaker");
    static final Set<String> CACHE_KEYS = Set.of("allow_ttl", "deny_ttl", "serve_stale_for", "max_entries");
    static final Set<String> BREAKER_KEYS = Set.of("consecutive_failures", "failure_ratio", "window", "open_for");
    static final Set<String> ROUTE_KEYS = Set.of("any_of", "groups", "scopes", "methods", "anonymous",
            "forward_credentials");

    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Duration MAX_TIMEOUT = Duration.ofSeconds(30);
    private static final int MIN_HS256_SECRET_BYTES = 32;

    private static final AuthSettings EMPTY = new AuthSettings(Map.of(), new ApiKey("X-Api-Key", Optional.empty()),
            Map.of(), Map.of());

    /**
     * One configured consumer.
     *
     * @param apiKeySha256 lowercase hex SHA-256 of each of its keys
     */
    public record Consumer(String id, Set<String> groups, List<String> apiKeySha256) {
        public Consumer {
            groups = Set.copyOf(groups);
            apiKeySha256 = List.copyOf(apiKeySha256);
        }
    }

    /**
     * Where API keys are read from: a header, and optionally a query parameter.
     *
     * @param header header name, default {@code X-Api-Key}
     * @param query  query parameter name; absent unless configured, since query strings end up in access logs
     */
    public record ApiKey(String header, Optional<String> query) {}

    /**
     * One JWT issuer ({@code auth.jwt.<name>}).
     *
     * @param jwksUrl         absent only when HS256 is the one algorithm allowed
     * @param minFetchInterval an unknown {@code kid} fetches the key set at most once per this interval, and a failed
     *                        fetch is retried after it
     */
    public record Jwt(String name, Optional<URI> jwksUrl, String issuer, Set<String> audiences, Duration clockSkew,
                      Duration fetchTimeout, Duration refresh, Duration minFetchInterval, String consumerClaim,
                      String groupsClaim, String scopesClaim, Set<String> algorithms, Optional<Secret> hs256Secret) {
        public Jwt {
            audiences = Set.copyOf(audiences);
            algorithms = Set.copyOf(algorithms);
        }

        public String providerId() {
            return JWT_PREFIX + name;
        }
    }

    /** One external auth service ({@code auth.external.<name>}). */
    public record External(String name, URI url, Duration timeout, int maxInFlight, DecisionCache cache,
                           List<String> forwardHeaders, Breaker breaker) {
        public External {
            forwardHeaders = List.copyOf(forwardHeaders);
        }

        public String providerId() {
            return EXTERNAL_PREFIX + name;
        }
    }

    /**
     * @param maxEntries 0 disables caching
     */
    public record DecisionCache(Duration allowTtl, Duration denyTtl, Duration serveStaleFor, long maxEntries) {}

    /**
     * The circuit opens after {@code consecutiveFailures} failures in a row, or when at least {@code failureRatio} of
     * the last {@code window} calls failed; after {@code openFor} one probe call decides whether it closes.
     */
    public record Breaker(int consecutiveFailures, double failureRatio, int window, Duration openFor) {}

    /** A secret that never prints and compares in constant time. */
    public static final class Secret {
        private final byte[] bytes;

        Secret(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Secret s && MessageDigest.isEqual(bytes, s.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Secret[<hidden>]";
        }
    }

    private final Map<String, Consumer> consumers;
    private final ApiKey apiKey;
    private final Map<String, Jwt> jwt;
    private final Map<String, External> external;

    private AuthSettings(Map<String, Consumer> consumers, ApiKey apiKey, Map<String, Jwt> jwt,
                         Map<String, External> external) {
        this.consumers = Map.copyOf(consumers);
        this.apiKey = apiKey;
        this.jwt = Map.copyOf(jwt);
        this.external = Map.copyOf(external);
    }

    /** Whether {@code id} may name a consumer ({@code consumers.<id>}), as the loader checks it. */
    public static boolean isConsumerId(String id) {
        return Names.ID.matcher(id).matches();
    }

    /** No consumers, no JWT or external providers; API keys read from {@code X-Api-Key}. */
    public static AuthSettings empty() {
        return EMPTY;
    }

    public Map<String, Consumer> consumers() {
        return consumers;
    }

    public ApiKey apiKey() {
        return apiKey;
    }

    /** JWT providers by name (provider id {@code jwt:<name>}). */
    public Map<String, Jwt> jwt() {
        return jwt;
    }

    /** External auth services by name (provider id {@code external:<name>}). */
    public Map<String, External> external() {
        return external;
    }

    /** Every provider id a route may name in {@code any_of}, in a stable order. */
    public List<String> providerIds() {
        List<String> ids = new ArrayList<>();
        ids.add(API_KEY);
        jwt.keySet().stream().sorted().forEach(n -> ids.add(JWT_PREFIX + n));
        external.keySet().stream().sorted().forEach(n -> ids.add(EXTERNAL_PREFIX + n));
        return List.copyOf(ids);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthSettings s && consumers.equals(s.consumers) && apiKey.equals(s.apiKey)
                && jwt.equals(s.jwt) && external.equals(s.external);
    }

    @Override
    public int hashCode() {
        return Objects.hash(consumers, apiKey, jwt, external);
    }

    @Override
    public String toString() {
        return "AuthSettings[consumers=" + consumers.size() + ", apiKey=" + apiKey + ", jwt=" + jwt.keySet()
                + ", external=" + external.keySet() + "]";
    }

    // ---------------------------------------------------------------------------------------------------- parsing

    /** Reads the top-level {@code consumers} and {@code auth} sections; problems go to {@code root.errors()}. */
    public static AuthSettings parse(ConfigNode root) {
        Map<String, Consumer> consumers = parseConsumers(root.get("consumers"));
        ConfigNode auth = root.get("auth");
        if (!auth.expectObject()) {
            return new AuthSettings(consumers, EMPTY.apiKey, Map.of(), Map.of());
        }
        auth.rejectUnknown(AUTH_KEYS);
        ApiKey apiKey = parseApiKey(auth.get("api_key"));
        Map<String, Jwt> jwt = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : auth.get("jwt").entries().entrySet()) {
            if (checkName(e.getKey(), e.getValue())) {
                jwt.put(e.getKey(), parseJwt(e.getKey(), e.getValue()));
            }
        }
        Map<String, External> external = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : auth.get("external").entries().entrySet()) {
            if (checkName(e.getKey(), e.getValue())) {
                external.put(e.getKey(), parseExternal(e.getKey(), e.getValue()));
            }
        }
        return new AuthSettings(consumers, apiKey, jwt, external);
    }

    private static boolean checkName(String name, ConfigNode node) {
        if (!Names.ID.matcher(name).matches()) {
            node.error(name + " (expected: a name of letters, digits, '_', '.', '-', '@')");
            return false;
        }
        return true;
    }

    private static Map<String, Consumer> parseConsumers(ConfigNode node) {
        Map<String, Consumer> out = new LinkedHashMap<>();
        Map<String, String> hashOwner = new HashMap<>();
        for (Map.Entry<String, ConfigNode> e : node.entries().entrySet()) {
            String id = e.getKey();
            ConfigNode c = e.getValue();
            if (!checkName(id, c) || !c.expectObject()) {
                continue;
            }
            c.rejectUnknown(CONSUMER_KEYS);
            Set<String> groups = new LinkedHashSet<>(names(c.get("groups"), Names.GROUP,
                    "a group name of letters, digits, '_', '.', ':', '/', '@', '-'"));
            List<String> hashes = new ArrayList<>();
            for (ConfigNode k : c.get("api_keys").elements()) {
                if (!k.isObject()) {
                    k.invalid("a mapping like { sha256: <hex> }");
                    continue;
                }
                k.rejectUnknown(API_KEY_HASH_KEYS);
                ConfigNode h = k.get("sha256");
                String hex = h.requiredString();
                if (hex.isEmpty()) {
                    continue;
                }
                if (!HEX64.matcher(hex).matches()) {
                    h.invalid("64 hex digits, the SHA-256 of the key; `bin/palisade keys new` prints one");
                    continue;
                }
                hex = hex.toLowerCase(Locale.ROOT);
                String previous = hashOwner.putIfAbsent(hex, h.path());
                if (previous != null) {
                    h.error("same key as " + previous + " (expected: each key belongs to one consumer)");
                    continue;
                }
                hashes.add(hex);
            }
            out.put(id, new Consumer(id, groups, hashes));
        }
        return out;
    }

    private static ApiKey parseApiKey(ConfigNode node) {
        if (!node.expectObject()) {
            return EMPTY.apiKey;
        }
        node.rejectUnknown(API_KEY_KEYS);
        String header = node.get("header").string("X-Api-Key");
        if (!Names.HEADER_NAME.matcher(header).matches()) {
            node.get("header").invalid("a header name");
            header = "X-Api-Key";
        }
        Optional<String> query = node.get("query").optString();
        if (query.isPresent() && !Names.QUERY_NAME.matcher(query.get()).matches()) {
            node.get("query").invalid("a query parameter name of letters, digits, '_', '.', '-'");
            query = Optional.empty();
        }
        return new ApiKey(header, query);
    }

    private static Jwt parseJwt(String name, ConfigNode node) {
        node.expectObject();
        node.rejectUnknown(JWT_KEYS);
        Optional<Secret> secret = Optional.empty();
        ConfigNode secretNode = node.get("hs256_secret");
        Optional<String> secretText = secretNode.optString();
        if (secretText.isPresent()) {
            byte[] bytes = secretText.get().getBytes(StandardCharsets.UTF_8);
            if (bytes.length < MIN_HS256_SECRET_BYTES) {
                // Not `invalid`: the message would echo the secret into logs.
                secretNode.error("too short: " + bytes.length + " bytes (expected: at least " + MIN_HS256_SECRET_BYTES
                        + " bytes)");
            } else {
                secret = Optional.of(new Secret(bytes));
            }
        }
        Set<String> algorithms = parseAlgorithms(node.get("algorithms"), secretText.isPresent(), secretNode);

        Optional<URI> jwksUrl = Optional.empty();
        ConfigNode urlNode = node.get("jwks_url");
        boolean hmacOnly = algorithms.equals(Set.of(HS256));
        if (urlNode.isPresent() || !hmacOnly) {
            jwksUrl = parseHttpUrl(urlNode);
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
        Duration timeout = fetch.get("timeout").duration(Duration.ofSeconds(2), MAX_TIMEOUT);
        Duration refresh = fetch.get("refresh").duration(Duration.ofMinutes(5), Duration.ofDays(1));
        Duration minInterval = fetch.get("min_interval").duration(Duration.ofSeconds(10), Duration.ofHours(1));

        String consumerClaim = claimName(node.get("consumer_claim"), "sub");
        String groupsClaim = claimName(node.get("groups_claim"), "groups");
        String scopesClaim = claimName(node.get("scopes_claim"), "scope");
        return new Jwt(name, jwksUrl, issuer, audiences, skew, timeout, refresh, minInterval, consumerClaim,
                groupsClaim, scopesClaim, algorithms, secret);
    }

    private static Set<String> parseAlgorithms(ConfigNode node, boolean hasSecret, ConfigNode secretNode) {
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

    private static Optional<URI> parseHttpUrl(ConfigNode node) {
        if (!node.isPresent()) {
            node.error("missing (expected: an http:// or https:// URL)");
            return Optional.empty();
        }
        String text = node.optString().orElse("");
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null
                    && uri.getRawUserInfo() == null && uri.getRawFragment() == null) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        node.invalid("an http:// or https:// URL with a host");
        return Optional.empty();
    }

    private static External parseExternal(String name, ConfigNode node) {
        node.expectObject();
        node.rejectUnknown(EXTERNAL_KEYS);
        URI url = parseHttpUrl(node.get("url")).orElse(URI.create("http://127.0.0.1/"));
        Duration timeout = node.get("timeout").requiredDuration(MAX_TIMEOUT);
        int maxInFlight = node.get("max_in_flight").intValue(64, 1, 100_000);

        ConfigNode cache = node.get("cache");
        cache.expectObject();
        cache.rejectUnknown(CACHE_KEYS);
        DecisionCache decisionCache = new DecisionCache(
                cache.get("allow_ttl").duration(Duration.ofSeconds(30), Duration.ofDays(1)),
                cache.get("deny_ttl").duration(Duration.ofSeconds(5), Duration.ofDays(1)),
                cache.get("serve_stale_for").duration(Duration.ofMinutes(5), Duration.ofDays(1)),
                cache.get("max_entries").longValue(100_000, 0, 10_000_000));

        List<String> forward = names(node.get("forward_headers"), Names.HEADER_NAME, "a header name");

        ConfigNode breaker = node.get("breaker");
        breaker.expectObject();
        breaker.rejectUnknown(BREAKER_KEYS);
        Breaker b = new Breaker(
                breaker.get("consecutive_failures").intValue(5, 1, 10_000),
                breaker.get("failure_ratio").ratio(0.5),
                breaker.get("window").intValue(20, 2, 10_000),
                breaker.get("open_for").duration(Duration.ofSeconds(10), Duration.ofMinutes(10)));
        if (b.failureRatio() == 0.0) {
            breaker.get("failure_ratio").invalid("> 0%");
        }
        return new External(name, url, timeout, maxInFlight, decisionCache, forward, b);
    }

    /** A list of names (or a single one), each checked against {@code shape}. */
    private static List<String> names(ConfigNode node, Pattern shape, String expectation) {
        if (!node.isPresent()) {
            return List.of();
        }
        List<ConfigNode> elements = node.isTextual() ? List.of(node) : node.elements();
        List<String> out = new ArrayList<>();
        for (ConfigNode e : elements) {
            Optional<String> v = e.optString();
            if (v.isEmpty()) {
                continue;
            }
            if (!shape.matcher(v.get()).matches()) {
                e.invalid(expectation);
                continue;
            }
            out.add(v.get());
        }
        return out;
    }

    /**
     * Reads a route's {@code auth:} mapping. Absent means the route needs no auth ({@link RoutePolicy#none()}).
     *
     * <p>{@code any_of} must name defined providers. {@code groups} is refused only when it is clearly wrong: every
     * provider in {@code any_of} is {@code api_key} (so groups can only come from configured consumers) and no
     * consumer holds the group. Tokens and auth services may assert groups the config never mentions, so routes that
     * accept them are not checked. {@code scopes} needs a JWT provider in {@code any_of}, since only tokens carry
     * scopes. {@code anonymous: true} cannot be combined with {@code groups} or {@code scopes}.
     */
    public static RoutePolicy parseRoute(ConfigNode node, AuthSettings settings) {
        if (!node.isPresent()) {
            return RoutePolicy.none();
        }
        if (!node.expectObject()) {
            return RoutePolicy.none();
        }
        node.rejectUnknown(ROUTE_KEYS);
        List<String> known = settings.providerIds();
        ConfigNode anyOfNode = node.get("any_of");
        List<String> anyOf = new ArrayList<>();
        if (!anyOfNode.isPresent()) {
            anyOfNode.error("missing (expected: a list of providers like [" + String.join(", ", known) + "])");
        }
        for (ConfigNode p : anyOfNode.isTextual() ? List.of(anyOfNode) : anyOfNode.elements()) {
            String id = p.optString().orElse("");
            if (!known.contains(id)) {
                p.invalid("one of " + String.join(", ", known));
            } else if (anyOf.contains(id)) {
                p.invalid("each provider once");
            } else {
                anyOf.add(id);
            }
        }
        if (anyOfNode.isArray() && anyOfNode.raw().isEmpty()) {
            anyOfNode.invalid("one or more providers");
        }

        ConfigNode groupsNode = node.get("groups");
        Set<String> groups = new LinkedHashSet<>();
        boolean consumerGroupsOnly = !anyOf.isEmpty() && anyOf.stream().allMatch(API_KEY::equals);
        for (ConfigNode g : groupsNode.isTextual() ? List.of(groupsNode) : groupsNode.elements()) {
            String v = g.optString().orElse("");
            if (!Names.GROUP.matcher(v).matches()) {
                g.invalid("a group name");
            } else if (consumerGroupsOnly && settings.consumers.values().stream()
                    .noneMatch(c -> c.groups().contains(v))) {
                g.invalid("a group some consumer has; with only api_key, groups come from consumers");
            } else {
                groups.add(v);
            }
        }

        ConfigNode scopesNode = node.get("scopes");
        Set<String> scopes = new LinkedHashSet<>(names(scopesNode, Names.SCOPE, "a scope name"));
        if (!scopes.isEmpty() && !anyOf.isEmpty() && anyOf.stream().noneMatch(p -> p.startsWith(JWT_PREFIX))) {
            scopesNode.invalid("a jwt provider in any_of; only tokens carry scopes");
        }

        ConfigNode methodsNode = node.get("methods");
        Set<String> methods = new LinkedHashSet<>();
        for (ConfigNode m : methodsNode.isTextual() ? List.of(methodsNode) : methodsNode.elements()) {
            String v = m.optString().orElse("").toUpperCase(Locale.ROOT);
            if (!Names.METHOD.matcher(v).matches()) {
                m.invalid("an HTTP method like GET");
            } else {
                methods.add(v);
            }
        }

        ConfigNode anonymousNode = node.get("anonymous");
        boolean anonymous = anonymousNode.bool(false);
        if (anonymous && (!groups.isEmpty() || !scopes.isEmpty())) {
            anonymousNode.invalid("false when groups or scopes are set; anonymous callers hold none");
        }
        boolean forwardCredentials = node.get("forward_credentials").bool(false);
        return new RoutePolicy(anyOf, groups, scopes, methods, anonymous, forwardCredentials, settings.apiKey);
    }
}
