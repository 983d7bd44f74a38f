package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.palisade.config.ConfigException;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the config loader: YAML text in, either a config or {@code path: message} errors out, never another
 * exception and never a hang: bin/fuzz gives libFuzzer {@code -timeout=60} (a per-input deadline here was tripped by
 * the instrumentation's own slowness on a loaded machine, not by the loader). The corpus is
 * {@code src/test/resources/io/palisade/gateway/ConfigLoaderFuzzTestInputs/yaml}; bin/fuzz fuzzes.
 */
class ConfigLoaderFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void yaml(byte[] input) {
        // Bytes, not a String parameter, so the corpus files are plain YAML; malformed UTF-8 becomes U+FFFD.
        String yaml = new String(input, StandardCharsets.UTF_8);
        try {
            assertThat(ConfigLoader.parse(yaml, "fuzz.yaml")).isNotNull();
        } catch (ConfigException e) {
            assertThat(e.errors()).isNotEmpty().allSatisfy(error -> assertThat(error).contains(": "));
        }
    }
}
