package io.palisade.auth;

import io.palisade.config.ConfigNode;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

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
    /** Provider id of client certificate authentication ({@code auth.mtls}). */
    public static final String MTLS = "mtls";
    static final String JWT_PREFIX = "jwt:";
    static final String EXTERNAL_PREFIX = "external:";

    static final String RS256 = "RS256";
    static final String ES256 = "ES256";
    static final String EDDSA = "EdDSA";
    static final String HS256 = "HS256";

    /** The keys of {@code auth:}; each section reader holds its own, so a test can hold the JSON Schema to them. */
    static final Set<String> AUTH_KEYS = Set.of("api_key", "jwt", "external", "mtls");

    private static final AuthSettings EMPTY = new AuthSettings(Map.of(), ApiKeyReader.DEFAULT, Map.of(), Map.of(),
            Optional.empty());

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
     * {@code auth.mtls}: a client certificate, verified by the TLS listener against its {@code client_ca_file}, names
     * a consumer.
     *
     * @param consumerFrom where the consumer id is read: {@code subject_cn}, {@code san_dns} or {@code san_uri} (the
     *                     first of that kind the certificate has)
     */
    public record Mtls(String consumerFrom) {}

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
            return o instanceof Secret s && ConstantTime.equals(bytes, s.bytes);
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
    private final Optional<Mtls> mtls;

    private AuthSettings(Map<String, Consumer> consumers, ApiKey apiKey, Map<String, Jwt> jwt,
                         Map<String, External> external, Optional<Mtls> mtls) {
        this.consumers = Map.copyOf(consumers);
        this.apiKey = apiKey;
        this.jwt = Map.copyOf(jwt);
        this.external = Map.copyOf(external);
        this.mtls = mtls;
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

    /** {@code auth.mtls}, when configured (provider id {@code mtls}). */
    public Optional<Mtls> mtls() {
        return mtls;
    }

    /** Every provider id a route may name in {@code any_of}, in a stable order. */
    public List<String> providerIds() {
        List<String> ids = new ArrayList<>();
        ids.add(API_KEY);
        mtls.ifPresent(m -> ids.add(MTLS));
        jwt.keySet().stream().sorted().forEach(n -> ids.add(JWT_PREFIX + n));
        external.keySet().stream().sorted().forEach(n -> ids.add(EXTERNAL_PREFIX + n));
        return List.copyOf(ids);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthSettings s && consumers.equals(s.consumers) && apiKey.equals(s.apiKey)
                && jwt.equals(s.jwt) && external.equals(s.external) && mtls.equals(s.mtls);
    }

    @Override
    public int hashCode() {
        return Objects.hash(consumers, apiKey, jwt, external, mtls);
    }

    @Override
    public String toString() {
        return "AuthSettings[consumers=" + consumers.size() + ", apiKey=" + apiKey + ", jwt=" + jwt.keySet()
                + ", external=" + external.keySet() + "]";
    }

    // ---------------------------------------------------------------------------------------------------- parsing

    /**
     * Reads the top-level {@code consumers} and {@code auth} sections; problems go to {@code root.errors()}. Each
     * section has its reader: {@link ConsumersReader}, {@link ApiKeyReader}, {@link JwtReader},
     * {@link ExternalReader}.
     */
    public static AuthSettings parse(ConfigNode root) {
        Map<String, Consumer> consumers = ConsumersReader.read(root.get("consumers"));
        ConfigNode auth = root.get("auth");
        if (!auth.expectObject()) {
            return new AuthSettings(consumers, ApiKeyReader.DEFAULT, Map.of(), Map.of(), Optional.empty());
        }
        auth.rejectUnknown(AUTH_KEYS);
        ApiKey apiKey = ApiKeyReader.read(auth.get("api_key"));
        Map<String, Jwt> jwt = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : auth.get("jwt").entries().entrySet()) {
            if (AuthConfigValues.checkName(e.getKey(), e.getValue())) {
                jwt.put(e.getKey(), JwtReader.read(e.getKey(), e.getValue()));
            }
        }
        Map<String, External> external = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : auth.get("external").entries().entrySet()) {
            if (AuthConfigValues.checkName(e.getKey(), e.getValue())) {
                external.put(e.getKey(), ExternalReader.read(e.getKey(), e.getValue()));
            }
        }
        return new AuthSettings(consumers, apiKey, jwt, external, mtls(auth.get("mtls")));
    }

    private static Optional<Mtls> mtls(ConfigNode node) {
        if (!node.isPresent() || !node.expectObject()) {
            return Optional.empty();
        }
        node.rejectUnknown(Set.of("consumer_from"));
        return Optional.of(new Mtls(node.get("consumer_from").oneOf("subject_cn",
                List.of("subject_cn", "san_dns", "san_uri"))));
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
        return RoutePolicyReader.read(node, settings);
    }
}
