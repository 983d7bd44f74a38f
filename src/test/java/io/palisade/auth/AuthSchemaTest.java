package io.palisade.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.palisade.config.ConfigException;
import io.palisade.gateway.ConfigLoader;
import io.palisade.gateway.GatewayConfig;
import io.palisade.route.RouteConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JSON Schema's {@code consumers}, {@code auth} and route {@code auth} (for editors) agree with the loader
 * (authoritative): on a config that uses every auth key, on the docs' example, on every key name, on every default,
 * and on the common mistakes.
 */
class AuthSchemaTest {
    private static final Path SCHEMA = Path.of("schema/palisade.schema.json");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private static final String CLUSTER = "clusters:\n  orders: { endpoints: [ \"127.0.0.1:9001\" ] }\n";

    /** Every auth key, each with a value other than its default. */
    static final String FULL = """
            consumers:
              acme:
                groups: [orders-read, "tenant:acme/admins"]
                api_keys: [ { sha256: "%s" }, { sha256: "%s" } ]
              bob: { groups: billing }
              carol@example.com: {}
            auth:
              api_key: { header: X-Partner-Key, query: partner_key }
              jwt:
                idp:
                  jwks_url: https://idp.example.com/.well-known/jwks.json
                  issuer: https://idp.example.com/
                  audiences: [orders-api, billing-api]
                  clock_skew: 10s
                  fetch: { timeout: 1s, refresh: 10m, min_interval: 30s }
                  consumer_claim: client_id
                  groups_claim: roles
                  scopes_claim: scp
                  algorithms: [RS256, ES256]
                partner.v2:
                  issuer: partner
                  audiences: orders-api
                  algorithms: HS256
                  hs256_secret: "0123456789abcdef0123456789abcdef"
              external:
                policy:
                  url: http://127.0.0.1:7000/check
                  timeout: 200ms
                  max_in_flight: 16
                  forward_headers: [Authorization, X-Tenant]
                  cache: { allow_ttl: 1m, deny_ttl: 2s, serve_stale_for: 10m, max_entries: 5000 }
                  breaker: { consecutive_failures: 3, failure_ratio: 25%%, window: 40, open_for: 30s }
            %s
            routes:
              - name: orders
                match: { path_prefix: /orders }
                cluster: orders
                auth:
                  any_of: [api_key, "jwt:idp", "jwt:partner.v2"]
                  groups: [orders-read]
                  scopes: [orders.read]
                  methods: [GET, head]
                  forward_credentials: true
              - name: ops
                match: { path_prefix: /ops }
                cluster: orders
                auth: { any_of: "external:policy", groups: ops }
              - name: catalog
                match: { path_prefix: /catalog }
                cluster: orders
                auth: { any_of: [api_key], anonymous: true }
            """.formatted(KEY_HASH, KEY_HASH.replace('9', 'a'), CLUSTER);

    private static JsonNode schemaNode;
    private static JsonSchema schema;

    @BeforeAll
    static void readSchema() throws Exception {
        schemaNode = JSON.readTree(Files.readString(SCHEMA));
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schemaNode);
    }

    private static Set<ValidationMessage> schemaErrors(String yaml) throws Exception {
        return schema.validate(YAML.readTree(yaml));
    }

    @Test
    void fullAuthExample_validatesAndLoadsAsWritten() throws Exception {
        assertThat(schemaErrors(FULL)).isEmpty();
        GatewayConfig config = ConfigLoader.parse(FULL, "full-auth.yaml");
        AuthSettings auth = config.auth();

        assertThat(auth.consumers()).containsOnlyKeys("acme", "bob", "carol@example.com");
        assertThat(auth.consumers().get("acme").groups()).containsExactlyInAnyOrder("orders-read",
                "tenant:acme/admins");
        assertThat(auth.consumers().get("acme").apiKeySha256()).hasSize(2);
        assertThat(auth.consumers().get("bob").groups()).containsExactly("billing");
        assertThat(auth.apiKey()).isEqualTo(new AuthSettings.ApiKey("X-Partner-Key", Optional.of("partner_key")));

        AuthSettings.Jwt idp = auth.jwt().get("idp");
        assertThat(idp.jwksUrl()).contains(URI.create("https://idp.example.com/.well-known/jwks.json"));
        assertThat(idp.audiences()).containsExactlyInAnyOrder("orders-api", "billing-api");
        assertThat(List.of(idp.clockSkew(), idp.fetchTimeout(), idp.refresh(), idp.minFetchInterval()))
                .containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofMinutes(10),
                        Duration.ofSeconds(30));
        assertThat(List.of(idp.consumerClaim(), idp.groupsClaim(), idp.scopesClaim()))
                .containsExactly("client_id", "roles", "scp");
        assertThat(idp.algorithms()).containsExactlyInAnyOrder("RS256", "ES256");
        AuthSettings.Jwt partner = auth.jwt().get("partner.v2");
        assertThat(partner.jwksUrl()).isEmpty();
        assertThat(partner.algorithms()).containsExactly("HS256");

        AuthSettings.External policy = auth.external().get("policy");
        assertThat(policy.timeout()).isEqualTo(Duration.ofMillis(200));
        assertThat(policy.maxInFlight()).isEqualTo(16);
        assertThat(policy.forwardHeaders()).containsExactly("Authorization", "X-Tenant");
        assertThat(policy.cache()).isEqualTo(new AuthSettings.DecisionCache(Duration.ofMinutes(1),
                Duration.ofSeconds(2), Duration.ofMinutes(10), 5000));
        assertThat(policy.breaker()).isEqualTo(new AuthSettings.Breaker(3, 0.25, 40, Duration.ofSeconds(30)));

        List<RoutePolicy> routes = config.routes().stream().map(RouteConfig::auth).toList();
        assertThat(routes.get(0).anyOf()).containsExactly("api_key", "jwt:idp", "jwt:partner.v2");
        assertThat(routes.get(0).scopes()).containsExactly("orders.read");
        assertThat(routes.get(0).methods()).containsExactlyInAnyOrder("GET", "HEAD");
        assertThat(routes.get(0).forwardCredentials()).isTrue();
        assertThat(routes.get(1).anyOf()).containsExactly("external:policy");
        assertThat(routes.get(1).groups()).containsExactly("ops");
        assertThat(routes.get(2).anonymous()).isTrue();
    }

    @Test
    void docsExample_validatesAndLoads() throws Exception {
        String docs = Files.readString(Path.of("docs/auth.md"));
        String section = docs.substring(docs.indexOf("## Config"));
        int start = section.indexOf("```yaml\n") + "```yaml\n".length();
        // The example is a whole file (ExamplesTest loads every one); it names its own cluster.
        String yaml = section.substring(start, section.indexOf("```", start));

        assertThat(schemaErrors(yaml)).isEmpty();
        assertThat(ConfigLoader.parse(yaml, "auth.md").auth().providerIds())
                .containsExactly("api_key", "jwt:idp", "external:policy");
    }

    @Test
    void schemaKeys_areTheKeysTheLoaderKnows() {
        assertThat(names("/$defs/auth/properties")).isEqualTo(AuthSettings.AUTH_KEYS);
        assertThat(names("/$defs/consumers/additionalProperties/properties")).isEqualTo(ConsumersReader.CONSUMER_KEYS);
        assertThat(names("/$defs/consumers/additionalProperties/properties/api_keys/items/properties"))
                .isEqualTo(ConsumersReader.API_KEY_HASH_KEYS);
        assertThat(names("/$defs/auth/properties/api_key/properties")).isEqualTo(ApiKeyReader.API_KEY_KEYS);
        assertThat(names("/$defs/jwtProvider/properties")).isEqualTo(JwtReader.JWT_KEYS);
        assertThat(names("/$defs/jwtProvider/properties/fetch/properties")).isEqualTo(JwtReader.FETCH_KEYS);
        assertThat(names("/$defs/externalProvider/properties")).isEqualTo(ExternalReader.EXTERNAL_KEYS);
        assertThat(names("/$defs/externalProvider/properties/cache/properties")).isEqualTo(ExternalReader.CACHE_KEYS);
        assertThat(names("/$defs/externalProvider/properties/breaker/properties"))
                .isEqualTo(ExternalReader.BREAKER_KEYS);
        assertThat(names("/$defs/routeAuth/properties")).isEqualTo(RoutePolicyReader.ROUTE_KEYS);
    }

    /** Writing every schema default explicitly must load to exactly what leaving the keys out loads to. */
    @Test
    void schemaDefaults_areTheLoadersDefaults() throws Exception {
        String implicit = """
                consumers:
                  acme: {}
                auth:
                  api_key: {}
                  jwt:
                    idp: { jwks_url: "http://127.0.0.1:7100/jwks", issuer: me, audiences: [api], fetch: {} }
                  external:
                    policy: { url: "http://127.0.0.1:7000/check", timeout: 200ms, cache: {}, breaker: {} }
                %s
                routes:
                  - { match: { path_prefix: /a }, cluster: orders, auth: { any_of: [api_key] } }
                """.formatted(CLUSTER);
        ObjectNode explicit = (ObjectNode) YAML.readTree(implicit);
        fillDefaults((ObjectNode) explicit.at("/consumers/acme"), "/$defs/consumers/additionalProperties");
        fillDefaults((ObjectNode) explicit.at("/auth/api_key"), "/$defs/auth/properties/api_key");
        fillDefaults((ObjectNode) explicit.at("/auth/jwt/idp"), "/$defs/jwtProvider");
        fillDefaults((ObjectNode) explicit.at("/auth/external/policy"), "/$defs/externalProvider");
        fillDefaults((ObjectNode) explicit.at("/routes/0/auth"), "/$defs/routeAuth");
        String explicitYaml = YAML.writeValueAsString(explicit);
        assertThat(explicitYaml).contains("clock_skew", "min_interval", "serve_stale_for", "failure_ratio",
                "forward_credentials", "header: \"X-Api-Key\"");

        assertThat(schemaErrors(explicitYaml)).isEmpty();
        GatewayConfig withDefaults = ConfigLoader.parse(explicitYaml, "explicit.yaml");
        GatewayConfig without = ConfigLoader.parse(implicit, "implicit.yaml");
        assertThat(withDefaults.auth()).isEqualTo(without.auth());
        assertThat(withDefaults.routes().get(0).auth()).isEqualTo(without.routes().get(0).auth());
    }

    /** Sets each property of the schema at {@code pointer} that has a default and is absent, recursing into objects. */
    private static void fillDefaults(ObjectNode target, String pointer) {
        JsonNode properties = schemaNode.at(pointer + "/properties");
        properties.properties().forEach(p -> {
            JsonNode def = p.getValue().get("default");
            if (def != null && !target.has(p.getKey())) {
                target.set(p.getKey(), def);
            } else if (target.get(p.getKey()) instanceof ObjectNode nested) {
                fillDefaults(nested, pointer + "/properties/" + p.getKey());
            }
        });
    }

    private static Set<String> names(String pointer) {
        JsonNode node = schemaNode.at(pointer);
        assertThat(node.isObject()).as(pointer).isTrue();
        List<String> out = new ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return Set.copyOf(out);
    }

    private static final String JWT = "jwks_url: \"http://127.0.0.1:1/jwks\", issuer: me, audiences: [api]";
    private static final String EXT = "url: \"http://127.0.0.1:1/check\", timeout: 200ms";

    @ParameterizedTest
    @ValueSource(strings = {
            // sections and names
            "auth: { apikey: {} }",
            "auth: []",
            "consumers: { \"bad name\": {} }",
            "consumers: { acme: { group: [a] } }",
            "consumers: { acme: { groups: [\"has,comma\"] } }",
            "consumers: { acme: { api_keys: [ { sha256: abc } ] } }",
            "consumers: { acme: { api_keys: [ { sha256: \"" + KEY_HASH + "\", key: x } ] } }",
            "consumers: { acme: { api_keys: { sha256: \"" + KEY_HASH + "\" } } }",
            "auth: { api_key: { header: \"X Api Key\" } }",
            "auth: { api_key: { query: \"api key\" } }",
            // jwt
            "auth: { jwt: { idp: { jwks_url: \"http://127.0.0.1:1/jwks\", audiences: [api] } } }",
            "auth: { jwt: { idp: { jwks_url: \"http://127.0.0.1:1/jwks\", issuer: me } } }",
            "auth: { jwt: { idp: { jwks_url: \"http://127.0.0.1:1/jwks\", issuer: me, audiences: [] } } }",
            "auth: { jwt: { idp: { jwks_url: \"http://127.0.0.1:1/jwks\", issuer: \"\", audiences: [api] } } }",
            "auth: { jwt: { idp: { issuer: me, audiences: [api] } } }",
            "auth: { jwt: { idp: { jwks_url: \"ftp://127.0.0.1/jwks\", issuer: me, audiences: [api] } } }",
            "auth: { jwt: { idp: { " + JWT + ", algorithms: [none] } } }",
            "auth: { jwt: { idp: { " + JWT + ", algorithms: [] } } }",
            "auth: { jwt: { idp: { " + JWT + ", algorithms: [RS256, HS256] } } }",
            "auth: { jwt: { idp: { " + JWT + ", hs256_secret: short } } }",
            "auth: { jwt: { idp: { " + JWT + ", algorithms: [RS256], hs256_secret: "
                    + "\"0123456789abcdef0123456789abcdef\" } } }",
            "auth: { jwt: { idp: { " + JWT + ", clock_skew: 0s } } }",
            "auth: { jwt: { idp: { " + JWT + ", fetch: { timeout: infinite } } } }",
            "auth: { jwt: { idp: { " + JWT + ", fetch: { retries: 3 } } } }",
            "auth: { jwt: { idp: { " + JWT + ", consumer_claim: \"a b\" } } }",
            // external
            "auth: { external: { policy: { url: \"http://127.0.0.1:1/check\" } } }",
            "auth: { external: { policy: { url: \"http://127.0.0.1:1/check\", timeout: 0s } } }",
            "auth: { external: { policy: { url: \"http://127.0.0.1:1/check\", timeout: never } } }",
            "auth: { external: { policy: { timeout: 200ms } } }",
            "auth: { external: { policy: { " + EXT + ", max_in_flight: 0 } } }",
            "auth: { external: { policy: { " + EXT + ", forward_headers: [\"bad header\"] } } }",
            "auth: { external: { policy: { " + EXT + ", cache: { max_entries: -1 } } } }",
            "auth: { external: { policy: { " + EXT + ", cache: { ttl: 1s } } } }",
            "auth: { external: { policy: { " + EXT + ", breaker: { failure_ratio: 0% } } } }",
            "auth: { external: { policy: { " + EXT + ", breaker: { failure_ratio: 150% } } } }",
            "auth: { external: { policy: { " + EXT + ", breaker: { window: 1 } } } }",
            "auth: { external: { policy: { " + EXT + ", breaker: { consecutive_failures: 0 } } } }",
            // route auth
            "ROUTE { groups: [a] }",
            "ROUTE { any_of: [] }",
            "ROUTE { any_of: [api_key, api_key] }",
            "ROUTE { any_of: [oauth] }",
            "ROUTE { any_of: [api_key], anonymous: true, groups: [orders-read] }",
            "ROUTE { any_of: [api_key], scopes: [orders.read] }",
            "ROUTE { any_of: [api_key], methods: [\"G ET\"] }",
            "ROUTE { any_of: [api_key], anonymous: \"true\" }",
            "ROUTE { any_of: [api_key], forward: true }"})
    void invalidAuthConfig_failsBothSchemaAndLoader(String snippet) throws Exception {
        String yaml;
        if (snippet.startsWith("ROUTE ")) {
            yaml = "consumers: { acme: { groups: [orders-read] } }\n" + CLUSTER
                    + "routes: [ { match: { path: /a }, cluster: orders, auth: " + snippet.substring(6) + " } ]\n";
        } else {
            yaml = snippet + "\n" + CLUSTER
                    + "routes: [ { match: { path: /a }, cluster: orders } ]\n";
        }
        assertThat(schemaErrors(yaml)).as("schema errors for:\n%s", yaml).isNotEmpty();
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, "t.yaml")).as("loader for:\n%s", yaml)
                .isInstanceOf(ConfigException.class);
    }

    @Test
    void providerNamesAndConsumerIds_mayUseDotsAndAt_asTheLoaderAllows() throws Exception {
        String yaml = """
                consumers:
                  svc.reports@acme: { groups: [reports] }
                auth:
                  external:
                    policy.eu-1: { url: "http://127.0.0.1:1/check", timeout: 1s }
                %s
                routes:
                  - { match: { path: /a }, cluster: orders, auth: { any_of: ["external:policy.eu-1"] } }
                """.formatted(CLUSTER);
        assertThat(schemaErrors(yaml)).isEmpty();
        assertThat(ConfigLoader.parse(yaml, "t.yaml").auth().consumers()).containsOnlyKeys("svc.reports@acme");
    }
}
