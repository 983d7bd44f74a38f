package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedactionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"secret", "client_secret", "password", "db-password", "passwd", "token", "bearerToken",
            "sha256", "key_sha256", "api_key", "api_keys", "apiKey", "X-Api-Key", "Authorization", "private_key",
            "credentials", "SECRET"})
    void secretLookingKeys_areRedacted(String key) {
        assertThat(Redaction.isSecretKey(key)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tokens_per_second", "max_tokens", "keys", "key", "name", "path", "issuer", "monkey",
            "secretary_name", "hash_on"})
    void ordinaryKeys_areKept(String key) {
        assertThat(Redaction.isSecretKey(key)).isFalse();
    }

    @Test
    void redacted_replacesValuesAtAnyDepthAndKeepsShape() throws Exception {
        JsonNode raw = JSON.readTree("""
                {"consumers": [{"name": "alice", "api_keys": [{"id": "k1", "sha256": "ab12"}, "plain-key"]}],
                 "auth": {"jwt": {"issuer": "https://idp", "secret": "s3cr3t", "empty": null}},
                 "routes": [{"match": {"headers": {"X-Api-Key": "k", "X-Version": "2"}}}],
                 "rate_limiting": {"redis": {"password": {"file": "/run/secrets/redis"}}, "tokens_per_second": 5}}
                """);

        JsonNode redacted = ConfigLoader.redacted(raw);

        assertThat(redacted).isEqualTo(JSON.readTree("""
                {"consumers": [{"name": "alice", "api_keys": [{"id": "<redacted>", "sha256": "<redacted>"},
                                                             "<redacted>"]}],
                 "auth": {"jwt": {"issuer": "https://idp", "secret": "<redacted>", "empty": null}},
                 "routes": [{"match": {"headers": {"X-Api-Key": "<redacted>", "X-Version": "2"}}}],
                 "rate_limiting": {"redis": {"password": {"file": "<redacted>"}}, "tokens_per_second": 5}}
                """));
        assertThat(raw.at("/auth/jwt/secret").asText()).as("the input is not modified").isEqualTo("s3cr3t");
    }

    @Test
    void liveConfig_showsWhereTheKeyTravelsAndFlags_butRedactsTheSecrets() {
        ConfigLoader.Loaded loaded = ConfigLoader.parseWithSource("""
                consumers:
                  acme: { groups: [ops], api_keys: [ { sha256: "%s" } ] }
                auth:
                  api_key: { header: X-Api-Key, query: api_key }
                  jwt:
                    idp: { issuer: https://idp, audiences: [orders], algorithms: [HS256], hs256_secret: "%s" }
                clusters:
                  app: { endpoints: [ "127.0.0.1:9001" ] }
                routes:
                  - match: { path_prefix: /ops, headers: { X-Api-Key: "matched-key", Authorization: "Bearer t" } }
                    cluster: app
                    auth: { any_of: [api_key, jwt:idp], forward_credentials: true }
                """.formatted("ab".repeat(32), "s".repeat(32)), "t.yaml");

        JsonNode shown = loaded.redactedTree();

        assertThat(shown.at("/auth/api_key/header").asText()).isEqualTo("X-Api-Key");
        assertThat(shown.at("/auth/api_key/query").asText()).isEqualTo("api_key");
        assertThat(shown.at("/routes/0/auth/forward_credentials").asBoolean()).isTrue();
        assertThat(shown.at("/routes/0/auth/any_of/0").asText()).isEqualTo("api_key");
        assertThat(shown.at("/consumers/acme/api_keys/0/sha256").asText()).isEqualTo("<redacted>");
        assertThat(shown.at("/auth/jwt/idp/hs256_secret").asText()).isEqualTo("<redacted>");
        assertThat(shown.at("/routes/0/match/headers/X-Api-Key").asText()).isEqualTo("<redacted>");
        assertThat(shown.at("/routes/0/match/headers/Authorization").asText()).isEqualTo("<redacted>");
        assertThat(shown.toString()).doesNotContain("ab".repeat(32), "s".repeat(32), "matched-key", "Bearer t");
    }

    @Test
    void underASecretKey_aHeaderFieldHoldingMoreThanAName_isStillRedacted() throws Exception {
        JsonNode redacted = ConfigLoader.redacted(JSON.readTree("""
                {"credentials": {"header": {"value": "s3cr3t"}, "query": ["s3cr3t"], "enabled": false, "n": 7}}
                """));

        assertThat(redacted).isEqualTo(JSON.readTree("""
                {"credentials": {"header": {"value": "<redacted>"}, "query": ["<redacted>"], "enabled": false,
                                 "n": "<redacted>"}}
                """));
    }

    @Test
    void loaded_keepsTheTreeButHandsOutCopies() {
        ConfigLoader.Loaded loaded = ConfigLoader.parseWithSource("""
                consumers:
                  bob: { api_keys: [ { sha256: "%s" } ] }
                """.formatted("de".repeat(32)) + ConfigLoaderTest.MINIMAL, "t.yaml");

        ((ObjectNode) loaded.tree()).put("clusters", "changed");

        assertThat(loaded.tree().get("clusters").isObject()).isTrue();
        assertThat(loaded.tree().at("/consumers/bob/api_keys/0/sha256").asText()).isEqualTo("de".repeat(32));
        assertThat(loaded.redactedTree().at("/consumers/bob/api_keys/0/sha256").asText()).isEqualTo("<redacted>");
        assertThat(loaded.config().routes()).hasSize(1);
    }
}
