package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every shipped example is a config the gateway would serve: examples that rot are worse than none. */
class ExamplesTest {
    @Test
    void everyExampleLoads() throws IOException {
        List<Path> examples;
        try (Stream<Path> files = Files.list(Path.of("examples"))) {
            examples = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(examples).isNotEmpty();
        for (Path example : examples) {
            assertThat(ConfigLoader.load(example).routes()).as(example.toString()).isNotEmpty();
        }
    }

    /**
     * A reader copies a YAML example from the docs and runs {@code palisade validate} on it: each one is a whole file
     * the loader accepts, not a fragment that only makes sense next to another.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("docsYamlBlocks")
    void everyYamlBlockInTheDocs_isAFileTheLoaderAccepts(String where, String yaml) {
        assertThatCode(() -> ConfigLoader.parse(yaml, where)).as(where).doesNotThrowAnyException();
    }

    @Test
    void theDocsYamlBlocksAreFound_inEveryFileThatShowsConfig() throws IOException {
        List<String> files = docsYamlBlocks().map(a -> (String) a.get()[0])
                .map(where -> where.substring(0, where.indexOf(' '))).toList();
        assertThat(files).contains("README.md", "docs/configuration.md", "docs/auth.md", "docs/rate-limiting.md");
    }

    /** The fenced {@code ```yaml} blocks of README.md and docs/*.md: where each starts (file and line), its text. */
    static Stream<Arguments> docsYamlBlocks() throws IOException {
        List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        List<Arguments> blocks = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                if (!lines.get(i).strip().equals("```yaml")) {
                    continue;
                }
                int start = i + 1;
                StringBuilder yaml = new StringBuilder();
                for (i = start; i < lines.size() && !lines.get(i).strip().startsWith("```"); i++) {
                    yaml.append(lines.get(i)).append('\n');
                }
                blocks.add(Arguments.of(file.toString().replace('\\', '/') + " line " + start, yaml.toString()));
            }
        }
        return blocks.stream();
    }
}
