package io.palisade.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Replaces secrets in a config tree before anyone sees it (admin {@code /config}, logs). */
final class Redaction {
    static final TextNode REDACTED = TextNode.valueOf("<redacted>");

    /** Single words that mark a key as secret. */
    private static final Set<String> SECRET_WORDS = Set.of("secret", "secrets", "password", "passwords", "passwd",
            "token", "sha256", "authorization", "credential", "credentials", "apikey", "apikeys");
    /** Word pairs that do: api_key, private_key. */
    private static final Set<String> SECRET_PAIRS = Set.of("api key", "api keys", "private key", "private keys");
    /**
     * Fields that say where a secret travels, not what it is ({@code auth.api_key: { header: X-Api-Key, query:
     * api_key }}): a header or parameter name is in every client's requests and in the docs, and an operator reading
     * {@code /config} needs it.
     */
    private static final Set<String> NAME_FIELDS = Set.of("header", "query");

    private Redaction() {}

    static JsonNode redact(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                out.set(field.getKey(), isSecretKey(field.getKey()) ? redactAll(field.getValue())
                        : redact(field.getValue()));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (JsonNode element : node) {
                out.add(redact(element));
            }
            return out;
        }
        return node.deepCopy();
    }

    /**
     * Keeps the shape (how many keys, which fields) and hides every value but booleans (a flag such as
     * {@code forward_credentials: true} holds no secret) and header or parameter names.
     */
    private static JsonNode redactAll(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                JsonNode value = field.getValue();
                out.set(field.getKey(), NAME_FIELDS.contains(field.getKey()) && value.isTextual() ? value.deepCopy()
                        : redactAll(value));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (JsonNode element : node) {
                out.add(redactAll(element));
            }
            return out;
        }
        return node.isNull() || node.isMissingNode() || node.isBoolean() ? node : REDACTED;
    }

    static boolean isSecretKey(String key) {
        List<String> words = words(key);
        for (int i = 0; i < words.size(); i++) {
            if (SECRET_WORDS.contains(words.get(i))) {
                return true;
            }
            if (i + 1 < words.size() && SECRET_PAIRS.contains(words.get(i) + " " + words.get(i + 1))) {
                return true;
            }
        }
        return false;
    }

    /** {@code X-Api-Key}: [x, api, key]; {@code bearerToken}: [bearer, token]; {@code db_password}: [db, password]. */
    private static List<String> words(String key) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            boolean boundary = !Character.isLetterOrDigit(c);
            boolean camel = Character.isUpperCase(c) && i > 0 && Character.isLowerCase(key.charAt(i - 1));
            if ((boundary || camel) && !word.isEmpty()) {
                words.add(word.toString().toLowerCase(Locale.ROOT));
                word.setLength(0);
            }
            if (!boundary) {
                word.append(c);
            }
        }
        if (!word.isEmpty()) {
            words.add(word.toString().toLowerCase(Locale.ROOT));
        }
        return words;
    }
}
