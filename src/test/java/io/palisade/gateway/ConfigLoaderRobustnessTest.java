package io.palisade.gateway;

import io.palisade.config.ConfigException;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Whatever shape a value has, the loader answers with a config or a ConfigException, never anything else. */
class ConfigLoaderRobustnessTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<JsonNode> junk() {
        return List.of(F.nullNode(), F.textNode(""), F.textNode("x"), F.textNode("0s"), F.textNode("/"),
                F.numberNode(0), F.numberNode(-1), F.numberNode(new BigInteger("99999999999999999999999")),
                F.numberNode(1.5), F.booleanNode(true), F.arrayNode(), F.arrayNode().add(1), F.objectNode(),
                F.objectNode().put("a", 1));
    }

    @Test
    void everyNodeReplacedByJunk_yieldsConfigOrConfigException() throws Exception {
        JsonNode original = ConfigLoader.parseWithSource(ConfigLoaderTest.FULL, "full.yaml").tree();
        int attempts = 0;
        for (String pointer : pointers(original, "")) {
            for (JsonNode replacement : junk()) {
                JsonNode copy = original.deepCopy();
                replace(copy, pointer, replacement);
                assertLoadsOrRefuses(copy, pointer + " = " + replacement);
                attempts++;
            }
            JsonNode copy = original.deepCopy();
            replace(copy, pointer, null);
            assertLoadsOrRefuses(copy, pointer + " removed");
        }
        assertThat(attempts).isGreaterThan(500);
    }

    private static void assertLoadsOrRefuses(JsonNode tree, String what) throws Exception {
        String yaml = JSON.writeValueAsString(tree); // JSON is YAML
        try {
            ConfigLoader.parse(yaml, "mutated.yaml");
        } catch (ConfigException e) {
            assertThat(e.errors()).as(what).isNotEmpty().allSatisfy(line -> assertThat(line).contains(": "));
        } catch (RuntimeException e) {
            throw new AssertionError("unexpected " + e + " for " + what, e);
        }
    }

    private static List<String> pointers(JsonNode node, String at) {
        List<String> out = new ArrayList<>();
        if (node.isObject()) {
            node.properties().forEach(e -> {
                String child = at + "/" + e.getKey();
                out.add(child);
                out.addAll(pointers(e.getValue(), child));
            });
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String child = at + "/" + i;
                out.add(child);
                out.addAll(pointers(node.get(i), child));
            }
        }
        return out;
    }

    private static void replace(JsonNode root, String pointer, JsonNode value) {
        int slash = pointer.lastIndexOf('/');
        JsonNode parent = root.at(pointer.substring(0, slash));
        String last = pointer.substring(slash + 1);
        if (parent instanceof ObjectNode object) {
            if (value == null) {
                object.remove(last);
            } else {
                object.set(last, value);
            }
        } else if (parent instanceof ArrayNode array) {
            int index = Integer.parseInt(last);
            if (value == null) {
                array.remove(index);
            } else {
                array.set(index, value);
            }
        }
    }

    /**
     * Inputs that ConfigLoaderFuzzTest reported as timeouts on a loaded machine (under its instrumentation): the loader
     * answers them at once, with errors.
     */
    @Test
    void mergeKeyWithAScalar_andEmptyInput_areErrors() {
        for (String yaml : List.of("<<: c", "")) {
            try {
                ConfigLoader.parse(yaml, "fuzz.yaml");
                throw new AssertionError("accepted: [" + yaml + "]");
            } catch (ConfigException e) {
                assertThat(e.errors()).as(yaml).isNotEmpty();
            }
        }
    }
}
