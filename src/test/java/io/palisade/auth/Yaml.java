package io.palisade.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.palisade.config.ConfigErrors;
import io.palisade.config.ConfigNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** Parses a YAML snippet the way the loader does, keeping the errors for assertions. */
final class Yaml {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    final ConfigErrors errors = new ConfigErrors();
    final ConfigNode root;
    final AuthSettings settings;

    Yaml(String text) {
        JsonNode tree;
        try {
            tree = YAML.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        root = new ConfigNode(tree, "", errors);
        settings = AuthSettings.parse(root);
    }

    static Yaml of(String text) {
        return new Yaml(text);
    }

    RoutePolicy route(int i) {
        return AuthSettings.parseRoute(root.get("routes").elements().get(i).get("auth"), settings);
    }

    List<String> errors() {
        return errors.list();
    }

    /** Settings of a config that must be valid. */
    static AuthSettings valid(String text) {
        Yaml y = new Yaml(text);
        y.errors.throwIfAny();
        return y.settings;
    }
}
