package io.palisade.ratelimit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.palisade.config.ConfigErrors;
import io.palisade.config.ConfigNode;
import java.io.UncheckedIOException;
import java.io.IOException;

/** Builds config nodes from YAML text for tests. */
final class Yaml {
    private static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory());

    private Yaml() {}

    static ConfigNode node(String yaml, String path, ConfigErrors errors) {
        try {
            return new ConfigNode(MAPPER.readTree(yaml), path, errors);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
