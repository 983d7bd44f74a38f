package io.palisade.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads one YAML document into a Jackson tree, with the YAML behaviour a config file needs rather than what
 * {@code ObjectMapper.readTree} gives:
 *
 * <ul>
 *   <li>Anchors and aliases on mappings and lists are expanded ({@code timeouts: *fast}), as are merge keys
 *       ({@code <<: *defaults}, keys written next to them win). Jackson turns an alias into the plain string of its
 *       name, which would surface as a baffling "expected: a mapping" far from the cause. Jackson drops anchors on
 *       single values, so an alias of one is reported, not guessed.</li>
 *   <li>Expansion is capped ({@value #MAX_VALUES} values, {@value #MAX_DEPTH} levels): a "billion laughs" file is
 *       refused instead of exhausting the heap.</li>
 *   <li>A repeated key is an error with its line, not a silent last-one-wins.</li>
 *   <li>Scalars are typed like YAML 1.2: only {@code true}/{@code false} are booleans (so a header value {@code on} or
 *       a country code {@code NO} stays a string), and a number is a number only when written canonically
 *       ({@code 007}, {@code 0x1F}, {@code 1_000} stay strings, so they are refused where an integer is expected and
 *       kept verbatim where a string is). Decimals keep their digits ({@code "1.10"} stays {@code 1.10}).</li>
 *   <li>A second document ({@code ---}) is refused: silently ignoring half a file is worse than failing.</li>
 * </ul>
 *
 * <p>Structural problems (repeated keys, unknown aliases) go to {@link ConfigErrors} with their path, so they are
 * reported together with the validation errors; only syntax errors throw.
 */
public final class YamlReader {
    public static final int MAX_VALUES = 1_000_000;
    public static final int MAX_DEPTH = 100;

    /** {@code key:} with nothing after it is null (absent), while {@code key: ""} stays an empty string. */
    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern CANONICAL_INT = Pattern.compile("-?(0|[1-9][0-9]*)");
    private static final Pattern CANONICAL_DECIMAL = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?");
    private static final String MERGE_KEY = "<<";

    private final YAMLParser parser;
    private final String source;
    private final ConfigErrors errors;
    private final Map<String, Anchored> anchors = new HashMap<>();
    private long values;

    private record Anchored(JsonNode node, long values) {}

    private YamlReader(YAMLParser parser, String source, ConfigErrors errors) {
        this.parser = parser;
        this.source = source;
        this.errors = errors;
    }

    /**
     * The document's root, or {@link MissingNode} when the text holds no document (empty, only comments) and a
     * {@code NullNode} when it is an explicit empty document.
     *
     * @throws ConfigException for a syntax error, a second document, or a document past the size caps
     */
    public static JsonNode read(byte[] yaml, String source, ConfigErrors errors) {
        try (YAMLParser parser = FACTORY.createParser(yaml)) {
            YamlReader reader = new YamlReader(parser, source, errors);
            if (parser.nextToken() == null) {
                return MissingNode.getInstance();
            }
            JsonNode root = reader.value("", 0);
            if (parser.nextToken() != null) {
                throw reader.failure(parser.currentTokenLocation(),
                        "a second YAML document (expected: one document per file)");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new ConfigException(List.of(source + ": " + describe(e)));
        } catch (IOException | RuntimeException e) {
            if (e instanceof ConfigException ce) {
                throw ce;
            }
            // SnakeYAML reports some limits (e.g. its code point limit) as unchecked exceptions.
            throw new ConfigException(List.of(source + ": unreadable YAML (" + e.getMessage() + ")"));
        }
    }

    private JsonNode value(String path, int depth) throws IOException {
        JsonToken token = parser.currentToken();
        if (depth > MAX_DEPTH) {
            throw failure(parser.currentTokenLocation(), "nested deeper than " + MAX_DEPTH + " levels");
        }
        return switch (token) {
            case START_OBJECT -> anchored(parser.getObjectId(), () -> mapping(path, depth));
            case START_ARRAY -> anchored(parser.getObjectId(), () -> sequence(path, depth));
            case VALUE_STRING -> parser.isCurrentAlias() ? alias(path, parser.getText()) : count(text());
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> count(number(parser.getText()));
            case VALUE_TRUE, VALUE_FALSE -> count(bool(parser.getText()));
            case VALUE_NULL -> count(NODES.nullNode());
            default -> count(parser.getText() == null ? NODES.nullNode() : text());
        };
    }

    private interface Builder {
        JsonNode build() throws IOException;
    }

    private JsonNode anchored(String anchor, Builder builder) throws IOException {
        long before = values;
        JsonNode node = builder.build();
        if (anchor != null) {
            anchors.put(anchor, new Anchored(node, values - before));
        }
        return node;
    }

    private JsonNode mapping(String path, int depth) throws IOException {
        ObjectNode object = NODES.objectNode();
        count(object);
        List<JsonNode> merges = new ArrayList<>();
        List<String> mergePaths = new ArrayList<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            int line = parser.currentTokenLocation().getLineNr();
            String childPath = path.isEmpty() ? key : path + "." + key;
            parser.nextToken();
            JsonNode child = value(childPath, depth + 1);
            if (object.has(key) || (MERGE_KEY.equals(key) && !merges.isEmpty())) {
                errors.add(childPath, "repeated at line " + line + " (expected: each key once per mapping)");
            } else if (MERGE_KEY.equals(key)) {
                merges.add(child);
                mergePaths.add(childPath);
            } else {
                object.set(key, child);
            }
        }
        for (int i = 0; i < merges.size(); i++) {
            merge(object, merges.get(i), mergePaths.get(i));
        }
        return object;
    }

    /** YAML merge keys: {@code <<: *a} or {@code <<: [*a, *b]}; explicit keys and earlier sources win. */
    private void merge(ObjectNode into, JsonNode from, String path) {
        if (from.isObject()) {
            for (Map.Entry<String, JsonNode> field : from.properties()) {
                if (!into.has(field.getKey())) {
                    into.set(field.getKey(), field.getValue());
                }
            }
        } else if (from.isArray() && allObjects(from)) {
            for (JsonNode source : from) {
                merge(into, source, path);
            }
        } else if (!from.isNull()) {
            errors.add(path, from + " (expected: an alias of a mapping, or a list of them)");
        }
    }

    private static boolean allObjects(JsonNode array) {
        for (JsonNode element : array) {
            if (!element.isObject()) {
                return false;
            }
        }
        return true;
    }

    private JsonNode sequence(String path, int depth) throws IOException {
        ArrayNode array = NODES.arrayNode();
        count(array);
        int index = 0;
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            array.add(value(path + "[" + index + "]", depth + 1));
            index++;
        }
        return array;
    }

    private JsonNode alias(String path, String name) {
        Anchored target = anchors.get(name);
        if (target == null) {
            errors.add(path, "*" + name + " (expected: an alias of a mapping or list anchored earlier in the file;"
                    + " anchors on single values are not supported)");
            return NODES.nullNode();
        }
        values += target.values();
        checkSize();
        return target.node().deepCopy();
    }

    private JsonNode text() throws IOException {
        return NODES.textNode(parser.getText());
    }

    private static JsonNode number(String text) {
        if (CANONICAL_INT.matcher(text).matches()) {
            BigInteger v = new BigInteger(text);
            if (v.bitLength() < 32) {
                return NODES.numberNode(v.intValue());
            }
            return v.bitLength() < 64 ? NODES.numberNode(v.longValue()) : NODES.numberNode(v);
        }
        if (CANONICAL_DECIMAL.matcher(text).matches() && text.length() <= 100) {
            return DecimalNode.valueOf(new BigDecimal(text)); // keeps the digits as written: 1.10, not 1.1
        }
        return NODES.textNode(text);
    }

    private static JsonNode bool(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true" -> NODES.booleanNode(true);
            case "false" -> NODES.booleanNode(false);
            default -> NODES.textNode(text);
        };
    }

    private JsonNode count(JsonNode node) {
        values++;
        checkSize();
        return node;
    }

    private void checkSize() {
        if (values > MAX_VALUES) {
            throw failure(parser.currentTokenLocation(),
                    "more than " + MAX_VALUES + " values once aliases are expanded (expected: a smaller file)");
        }
    }

    private ConfigException failure(JsonLocation at, String message) {
        String where = where(at);
        return new ConfigException(List.of(source + ": " + (where.isEmpty() ? "" : where + ": ") + message));
    }

    private static String where(JsonLocation at) {
        return at == null || at.getLineNr() < 1 ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr();
    }

    /**
     * SnakeYAML's messages span several lines with an excerpt and a caret; the lines that say what is wrong are the
     * ones not indented.
     */
    private static String describe(JsonProcessingException e) {
        StringBuilder problem = new StringBuilder();
        String original = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        for (String line : original.split("\\R")) {
            if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                if (!problem.isEmpty()) {
                    problem.append("; ");
                }
                problem.append(line.strip());
            }
        }
        String where = where(e.getLocation());
        return "malformed YAML" + (where.isEmpty() ? "" : " at " + where) + ": " + problem;
    }
}
