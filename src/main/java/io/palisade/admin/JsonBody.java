package io.palisade.admin;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reading an admin request body: one JSON object whose fields have the types the API names. Unknown fields are
 * ignored, so a newer client can talk to an older gateway; a JSON {@code null} counts as an absent field.
 */
final class JsonBody {
    /** A body that is not what the call takes; the message says what was expected, for a 400. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final ObjectNode object;

    private JsonBody(ObjectNode object) {
        this.object = object;
    }

    /** The body as an object; a body of nothing but whitespace is an empty object when {@code emptyAllowed}. */
    static JsonBody parse(byte[] body, boolean emptyAllowed) throws Malformed {
        if (isBlank(body)) {
            if (emptyAllowed) {
                return new JsonBody(STRICT.createObjectNode());
            }
            throw new Malformed("empty body (expected: a JSON object)");
        }
        JsonNode node;
        try {
            node = STRICT.readTree(body);
        } catch (JsonProcessingException e) {
            throw new Malformed("not JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new Malformed("not JSON");
        }
        if (!(node instanceof ObjectNode o)) {
            throw new Malformed(kind(node) + " (expected: a JSON object)");
        }
        return new JsonBody(o);
    }

    String requiredString(String field) throws Malformed {
        return optString(field).orElseThrow(() -> new Malformed(field + ": missing (expected: a string)"));
    }

    Optional<String> optString(String field) throws Malformed {
        JsonNode v = object.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw new Malformed(field + ": " + kind(v) + " (expected: a string)");
        }
        return Optional.of(v.textValue());
    }

    boolean bool(String field) throws Malformed {
        JsonNode v = object.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new Malformed(field + ": " + kind(v) + " (expected: true or false)");
        }
        return v.booleanValue();
    }

    OptionalLong optPositiveLong(String field) throws Malformed {
        JsonNode v = object.get(field);
        if (v == null || v.isNull()) {
            return OptionalLong.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 1) {
            throw new Malformed(field + ": " + (v.isNumber() ? v.asText() : kind(v))
                    + " (expected: a version number, 1 or more)");
        }
        return OptionalLong.of(v.longValue());
    }

    /** A list of strings; empty when the field is absent. */
    java.util.List<String> stringList(String field) throws Malformed {
        JsonNode v = object.get(field);
        if (v == null || v.isNull()) {
            return java.util.List.of();
        }
        if (!v.isArray()) {
            throw new Malformed(field + ": " + kind(v) + " (expected: an array of strings)");
        }
        java.util.List<String> out = new java.util.ArrayList<>(v.size());
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw new Malformed(field + ": an element is " + kind(e) + " (expected: an array of strings)");
            }
            out.add(e.textValue());
        }
        return out;
    }

    private static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "not a JSON value";
        };
    }

    private static boolean isBlank(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }
}
